// The image manifest as a file in a GitHub repository, changed only by pull request: the real backend
// and the App-side Octokit client (src/app/image-manifest.ts) against a local fake repository API over
// real HTTP. Reads give the branch's (merged) manifest, also while a PR is open; a write opens a PR
// with the new manifest and changes nothing until it is merged; errors are one line; the store's
// history keeps each merged version once and each proposed one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { githubManifestBackend } from '../../src/app/image-manifest.ts';
import { parseConfig, type Config } from '../../src/config/index.ts';
import type { Manifest } from '../../src/domain/image.ts';
import { manifestBackend } from '../../src/images/manifest-backend.ts';
import type { ManifestBackend } from '../../src/images/manifest.ts';
import { deprecateStep, publishStep } from '../../src/pipeline/steps/promote-publish.ts';
import type { RunContext } from '../../src/pipeline/run-context.ts';
import { createImageStep } from '../../src/pipeline/steps/create-image.ts';
import { launchStep } from '../../src/pipeline/steps/launch.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { minimalConfig, problemsOf, toYaml } from '../config/helpers.ts';
import { createTestRun } from '../pipeline/support/run-context.ts';
import { FakeGithubRepo } from './support/fake-github-repo.ts';

const REPO = 'acme/infra';
const TOKEN = 'ghs_manifest_test';
const entry = (ami: string) => ({ ami, architecture: 'x86_64', created: '2026-11-01T00:00:00.000Z', deprecation: null, bakeRun: 'bake-mentor-app-20261101-aaaaaa' });
const merged: Manifest = { version: 1, updated: '2026-11-01T00:00:00.000Z', images: { 'mentor-app': { 'eu-west-1': { stable: entry('ami-0aaaaaaaaaaaaaaa1') } } } };
const text = (m: Manifest) => `${JSON.stringify(m, null, 2)}\n`;

function configWith(imageManifest: unknown): string {
  const data = minimalConfig();
  data.imageManifest = imageManifest;
  return toYaml(data);
}

describe('imageManifest.github in the config', () => {
  it('takes a repository, with the path and branch defaulted, as an alternative to path', () => {
    expect(parseConfig(configWith({ github: { repo: REPO } }), {}).imageManifest).toEqual({ path: './images/manifest.json', github: { repo: REPO, path: 'images/manifest.json', branch: 'main' } });
    expect(parseConfig(configWith({ github: { repo: REPO, path: 'amis/manifest.json', branch: 'release' } }), {}).imageManifest.github).toEqual({ repo: REPO, path: 'amis/manifest.json', branch: 'release' });
    expect(parseConfig(configWith({ path: './m.json' }), {}).imageManifest).toEqual({ path: './m.json', github: null });
  });

  it('says in one line per mistake what is wrong and what is valid', () => {
    expect(problemsOf(configWith({ path: './m.json', github: { repo: REPO } }))).toEqual([
      'imageManifest: gives path and github; give one of path (a local file) or github (a file in a repository, changed by pull request)',
    ]);
    expect(problemsOf(configWith({ github: { repo: 'infra', path: '../etc/passwd' } }))).toEqual([
      'imageManifest.github.repo: expected a GitHub repository like acme/webapp, got "infra"',
      'imageManifest.github.path: expected a path in the repository like images/manifest.json, got "../etc/passwd"',
    ]);
  });
});

describe('the manifest in a GitHub repository', () => {
  let repo: FakeGithubRepo;
  let dir: string;
  let store: Store;
  let config: Config;
  let backend: ManifestBackend;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stagebot-gh-manifest-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(async () => {
    repo = await new FakeGithubRepo({ repo: REPO, token: TOKEN, branch: 'main' }).start();
    repo.push('main', 'images/manifest.json', text(merged), 'the manifest');
    store = await openStore({ sqlitePath: join(dir, `store-${Date.now()}-${Math.random()}.db`) });
    config = parseConfig(configWith({ github: { repo: REPO } }), {});
    backend = githubManifestBackend(config, store, { baseUrl: repo.url, getToken: () => TOKEN, throttle: false, retries: 0 });
  });
  afterEach(async () => {
    await repo.stop();
    await store.close();
  });

  it('reads the branch’s manifest and records each merged version in the store once', async () => {
    expect(backend.where).toBe('acme/infra:images/manifest.json@main');
    expect(await backend.read()).toEqual(merged);
    expect(await backend.read()).toEqual(merged);
    const history = await store.manifestHistory();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ author: 'github:acme/infra', reason: expect.stringMatching(/^merged on main \(blob [0-9a-f]{12}\)$/), manifest: merged });
    expect(repo.requests.every((r) => r.auth === `token ${TOKEN}`)).toBe(true);
  });

  it('a write opens a PR with the new manifest and changes nothing until it is merged; merged, it is what a read gives', async () => {
    const next: Manifest = { ...merged, images: { 'mentor-app': { 'eu-west-1': { ...merged.images['mentor-app']!['eu-west-1'], latest: entry('ami-0bbbbbbbbbbbbbbb1') } } } };
    const at = new Date('2026-11-21T09:12:44Z');
    const r = await backend.write(next, { author: 'slack:U0ADMIN', reason: 'promote mentor-app ami-0bbbbbbbbbbbbbbb1 to latest', at });
    expect(r).toEqual({ kind: 'pull-request', where: 'acme/infra:images/manifest.json@main', number: 1, url: 'https://github.com/acme/infra/pull/1' });

    const pull = repo.pulls[0]!;
    expect(pull).toMatchObject({ title: 'stagebot: promote mentor-app ami-0bbbbbbbbbbbbbbb1 to latest', base: 'main', state: 'open' });
    expect(pull.head).toMatch(/^stagebot\/manifest-promote-mentor-app-ami-0bbbbbbbbbbbbbbb1-to-latest-20261121T091244-[0-9a-f]{4}$/);
    expect(pull.body).toContain('asked by slack:U0ADMIN');
    expect(pull.body).toContain('Merging is the approval; reverting the merge is the rollback.');
    // The PR's branch has exactly the new manifest; main still has the old one.
    expect(JSON.parse(repo.fileOn(pull.head, 'images/manifest.json')!)).toEqual({ ...next, updated: at.toISOString() });
    expect(repo.fileOn('main', 'images/manifest.json')).toBe(text(merged));
    // Only by pull request: nothing was ever written to main.
    expect(repo.requests.filter((q) => q.method === 'PUT').map((q) => q.body.branch)).toEqual([pull.head]);

    // While the PR is open, a read is what was merged.
    expect(await backend.read()).toEqual(merged);
    const proposed = (await store.manifestHistory()).find((v) => v.reason.startsWith('proposed'));
    expect(proposed).toMatchObject({ author: 'slack:U0ADMIN', reason: 'proposed in acme/infra PR #1 (not merged): promote mentor-app ami-0bbbbbbbbbbbbbbb1 to latest' });

    repo.merge(1);
    expect(await backend.read()).toEqual({ ...next, updated: at.toISOString() });
    const reasons = (await store.manifestHistory()).map((v) => v.reason.replace(/\(blob \w+\)/, '(blob)'));
    // Newest first: the merged PR, the version read while it was open, the proposal.
    expect(reasons).toEqual(['merged on main (blob)', 'merged on main (blob)', 'proposed in acme/infra PR #1 (not merged): promote mentor-app ami-0bbbbbbbbbbbbbbb1 to latest']);
    expect((await store.manifestHistory())[0]!.manifest).toEqual({ ...next, updated: at.toISOString() });
  });

  it('errors are one line saying what to check: a missing file (404), a refused read or write (403), a bad token (401)', async () => {
    const elsewhere = githubManifestBackend(parseConfig(configWith({ github: { repo: REPO, path: 'nope/manifest.json' } }), {}), store, { baseUrl: repo.url, getToken: () => TOKEN, throttle: false, retries: 0 });
    await expect(elsewhere.read()).rejects.toThrow(
      /^the image manifest acme\/infra:nope\/manifest\.json@main was not found \(404\): check imageManifest\.github \(repo, path, branch\) and that the GitHub App is installed on acme\/infra; a new manifest starts as a committed \{"version": 1, "images": \{\}\}$/,
    );

    repo.deny = (q) => q.method === 'PUT';
    const err = await backend.write(merged, { author: 'cli:ops', reason: 'bake x', at: new Date() }).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      'GitHub committing the new manifest on a branch failed for the image manifest acme/infra:images/manifest.json@main (403: Resource not accessible by integration); the GitHub App needs Contents: read and write and Pull requests: read and write on acme/infra',
    );
    expect(repo.pulls).toEqual([]);

    repo.deny = () => true;
    await expect(backend.read()).rejects.toThrow(/^GitHub reading images\/manifest\.json failed for the image manifest acme\/infra:images\/manifest\.json@main \(403: Resource not accessible by integration\); the GitHub App needs Contents/);
    repo.deny = () => false;
    const badToken = githubManifestBackend(config, store, { baseUrl: repo.url, getToken: () => 'ghs_wrong', throttle: false, retries: 0 });
    await expect(badToken.read()).rejects.toThrow(/\(401: Bad credentials\); the GitHub App credentials were refused \(APP_ID, PRIVATE_KEY\)$/);
    for (const e of [err]) expect(String((e as Error).message)).not.toContain('\n');
  });

  it('without the GitHub App in this process, every use says so in one line', async () => {
    const unwired = manifestBackend(config, store, { unavailable: 'it lives in GitHub and the GitHub App is not configured here (set APP_ID)' });
    await expect(unwired.read()).rejects.toThrow('cannot read the image manifest acme/infra:images/manifest.json@main: it lives in GitHub and the GitHub App is not configured here (set APP_ID)');
    await expect(manifestBackend(config, null).read()).rejects.toThrow(/^cannot read the image manifest acme\/infra:images\/manifest\.json@main: the GitHub App is not configured in this process/);
  });

  it("a bake's candidate opens a PR and the bake says the manifest is unchanged until it is merged", async () => {
    const t = await createTestRun({
      configure: (c) => {
        c.images['mentor-app']!.base = { ami: c.environments.stg1!.ami };
        c.imageManifest = config.imageManifest;
      },
    });
    try {
      const run = { ...t.run, kind: 'bake' as const, options: { browsers: [], image: 'mentor-app', ref: 'v2' } };
      const ctx = (): RunContext => ({ ...t.context(), run, manifest: githubManifestBackend(t.config, t.store, { baseUrl: repo.url, getToken: () => TOKEN, throttle: false, retries: 0 }) });
      t.outputs.set('launch', (await launchStep.run(ctx())).outputs);
      const { outputs } = await createImageStep.run(ctx());
      const imageId = (outputs as { imageId: string }).imageId;
      const pull = repo.pulls[0]!;
      expect(pull.title).toBe(`stagebot: bake ${t.runId}: candidate ${imageId} in ${t.env.region}`);
      expect(JSON.parse(repo.fileOn(pull.head, 'images/manifest.json')!).images['mentor-app'][t.env.region].candidate).toMatchObject({ ami: imageId, bakeRun: t.runId });
      expect(repo.fileOn('main', 'images/manifest.json')).toBe(text(merged));
      // A repeated step (a retry, a resumed run) opens no second PR.
      await createImageStep.run(ctx());
      expect(repo.pulls).toHaveLength(1);
      const warnings = t.eventsOf('step.warning').map((e) => (e as { message: string }).message);
      expect(warnings).toContainEqual(
        `manifest acme/infra:images/manifest.json@main: opened PR #1 (https://github.com/acme/infra/pull/1) to make mentor-app@candidate in ${t.env.region} is ${imageId}; the manifest is unchanged until it is merged (merging is the approval, reverting it the rollback)`,
      );
    } finally {
      await t.close();
    }
  });
});

describe('a promotion whose manifest changes by pull request', () => {
  it('publish opens a PR, never says the channel is now the new image, and the teardown keeps the copies the PR names', async () => {
    const repo = await new FakeGithubRepo({ repo: REPO, token: TOKEN, branch: 'main' }).start();
    repo.push('main', 'images/manifest.json', text(merged), 'the manifest');
    const t = await createTestRun({
      configure: (c) => {
        c.imageManifest = { path: './unused.json', github: { repo: REPO, path: 'images/manifest.json', branch: 'main' } };
      },
    });
    try {
      const copy = { region: 'eu-west-1', ami: 'ami-0ddddddddddddddd1', how: 'copied' as const, durationMs: 60_000, snapshotIds: [], previous: 'ami-0aaaaaaaaaaaaaaa1' };
      const run = { ...t.run, kind: 'promote' as const, options: { browsers: [], image: 'mentor-app', promote: { source: 'candidate', to: 'stable' as const } } };
      const backend = githubManifestBackend(t.config, t.store, { baseUrl: repo.url, getToken: () => TOKEN, throttle: false, retries: 0 });
      const ctx = (): RunContext => ({ ...t.context(), run, manifest: backend });
      t.outputs.set('copy-image', {
        image: 'mentor-app',
        to: 'stable',
        source: { ami: 'ami-0ccccccccccccccc1', region: 'eu-west-1', bakeRun: 'bake-mentor-app-20261121-c3d4e5', architecture: 'x86_64', created: '2026-11-21T09:02:10.000Z' },
        copies: [copy],
      });
      const { outputs } = await publishStep.run(ctx());
      expect(outputs).toEqual({ regions: [{ region: 'eu-west-1', ami: copy.ami }], written: false, pullRequest: { number: 1, url: 'https://github.com/acme/infra/pull/1' } });
      expect(repo.fileOn('main', 'images/manifest.json')).toBe(text(merged));
      expect(JSON.parse(repo.fileOn(repo.pulls[0]!.head, 'images/manifest.json')!).images['mentor-app']['eu-west-1'].stable.ami).toBe(copy.ami);
      const warnings = t.eventsOf('step.warning').map((e) => (e as { message: string }).message);
      expect(warnings).toEqual([
        'manifest acme/infra:images/manifest.json@main: opened PR #1 (https://github.com/acme/infra/pull/1) to make mentor-app@stable ami-0ddddddddddddddd1 (eu-west-1); the manifest is unchanged until it is merged (merging is the approval, reverting it the rollback)',
      ]);
      expect(warnings.join('\n')).not.toContain('is now');
      // The merged manifest still names the old stable, so deprecate has nothing to do until the merge.
      t.outputs.set('publish', outputs);
      expect((await deprecateStep.run(ctx())).skipped).toMatch(/replaced no image that is not still named/);
    } finally {
      await t.close();
      await repo.stop();
    }
  });
});
