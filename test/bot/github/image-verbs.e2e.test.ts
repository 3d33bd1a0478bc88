// `/e2e images`, `/e2e bake` and `/e2e promote` end to end: signed webhooks into stagebot's real server,
// the front answering through the fake GitHub API, the image verbs carried out by the one executor on
// the fake cloud. Promoting is for admins only: the repository's admin role, or dashboard.admins.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useWorlds, waitForEnd } from '../../pipeline/engine/harness.ts';
import { startFrontWorld, type FrontWorld, type FrontWorldOptions } from './support/front-world.ts';
import { HEAD_SHA, pullRequest } from './support/webhooks.ts';

const dir = mkdtempSync(join(tmpdir(), 'stagebot-gh-images-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frontWorld = useWorlds(startFrontWorld);
const CANDIDATE = 'ami-0ddddddddddddddd1';

/** A world whose config has the image mentor-app (built where stg1 is) and a manifest file with its candidate. */
function start(opts: FrontWorldOptions & { admins?: string[] } = {}): Promise<FrontWorld> {
  const manifestPath = join(dir, `manifest-${Math.random().toString(16).slice(2)}.json`);
  return frontWorld({
    ...opts,
    configData: (data) => {
      const stg1 = data.environments.stg1;
      data.images = {
        'mentor-app': {
          base: { ami: stg1.ami },
          regions: [stg1.region],
          instanceType: stg1.instanceType,
          subnets: stg1.subnets,
          securityGroup: stg1.securityGroup,
          ssh: { user: stg1.ssh.user, host: stg1.ssh.host, port: stg1.ssh.port, allowFrom: stg1.ssh.allowFrom },
          recipe: [{ name: 'install', run: 'echo "installing $STAGEBOT_REF"' }],
        },
      };
      data.imageManifest = { path: manifestPath };
      writeFileSync(
        manifestPath,
        JSON.stringify({ version: 1, updated: null, images: { 'mentor-app': { [stg1.region]: { candidate: { ami: CANDIDATE, architecture: 'x86_64', created: '2026-11-20T00:00:00.000Z', deprecation: null, bakeRun: 'bake-mentor-app-20261120-aaaaaa' } } } } }),
      );
      if (opts.admins) data.dashboard = { ...(data.dashboard ?? {}), admins: opts.admins };
    },
  });
}

const bodiesOn = (w: FrontWorld, pr = 1) => w.github.commentsOn(pr).map((c) => c.body);

describe('GitHub front: image verbs', () => {
  it('/e2e images answers with the manifest; any writer may ask', async () => {
    const w = await start();
    w.github.permissions.set('writer', 'write');
    const sent = await w.comment({ body: '/e2e images mentor-app', login: 'writer' });
    expect(sent.status).toBe(200);
    await w.until('the reply', () => w.github.commentsOn(1).length === 1);
    const [reply] = bodiesOn(w);
    expect(reply!.startsWith('```text\n')).toBe(true);
    expect(reply).toContain('mentor-app');
    expect(reply).toContain(CANDIDATE);
    expect(await w.services.store.listRuns()).toEqual([]);
  });

  it('/e2e promote: refused in one line for a writer who is no admin; an admin (repository admin, or in dashboard.admins) gets through to the promotion itself', async () => {
    const w = await start({ admins: ['github:Releaser'] });
    w.github.permissions.set('writer', 'write');
    w.github.permissions.set('releaser', 'write');
    const refused = await w.comment({ body: '/e2e promote mentor-app --to=stable', login: 'writer' });
    await w.until('the refusal', () => w.github.commentsOn(1).length === 1);
    expect(bodiesOn(w)[0]).toBe(
      '@writer 🚫 stagebot did not run this: only admins may promote an image; `images mentor-app` shows what it has (a repository admin, or github:writer in dashboard.admins)',
    );
    expect(w.github.reactionsOn(refused.commentId)).toEqual(['confused']);

    // Codertocat is an admin of the repository; releaser is listed in dashboard.admins (case aside).
    // Both get a promotion: a run of kind promote (queued behind the image's lock when another holds
    // it), followed on the pull request by its own check run, as a bake is.
    for (const login of ['Codertocat', 'releaser']) {
      await w.comment({ body: '/e2e promote mentor-app --to=stable', login });
      await w.until(`the promotion of ${login}`, async () => (await w.services.store.listRuns()).some((r) => r.requester === `github:${login}`));
      const run = (await w.services.store.listRuns()).find((r) => r.requester === `github:${login}`)!;
      expect(run.kind).toBe('promote');
      expect(run.options).toMatchObject({ image: 'mentor-app', promote: { source: 'candidate', to: 'stable' } });
      await w.until(`the check run of ${login}'s promotion`, () => [...w.github.checkRuns.values()].some((c) => c.external_id === run.id));
    }
    expect(bodiesOn(w).join('\n')).not.toMatch(/only admins may promote[^\n]*(Codertocat|releaser)/);
  });

  it("/e2e bake builds the pull request's head commit as a bake run, with its check run; a closed PR or a fork is refused", async () => {
    const w = await start();
    const sent = await w.comment({ body: '/e2e bake mentor-app' });
    expect(sent.status).toBe(200);
    await w.until('the bake to exist', async () => (await w.services.store.listRuns()).length === 1);
    const run = await w.onlyRun();
    expect(run.kind).toBe('bake');
    expect(run.options.image).toBe('mentor-app');
    expect(run.options.ref).toBe(HEAD_SHA);
    expect(run.requester).toBe('github:Codertocat');
    expect(run.source).toBe('github');
    await w.until('its check run', () => [...w.github.checkRuns.values()].some((c) => c.external_id === run.id));
    expect([...w.github.checkRuns.values()][0]!.head_sha).toBe(HEAD_SHA);
    // Not left running past the test: cancelled, torn down.
    await w.services.commands.execute({ verb: 'cancel', run: run.id }, { requester: 'cli:test', source: 'cli', admin: true });
    const ended = await waitForEnd(w.services.engine, run.id, 60_000);
    expect(['cancelled', 'succeeded', 'failed']).toContain(ended.state);
    expect(w.world.live(run.id).filter((a) => a.kind !== 'image' && a.kind !== 'snapshot')).toEqual([]);

    w.github.pulls.set(2, pullRequest({ pr: 2, headRepo: 'mallory/Hello-World' }));
    w.github.pulls.set(3, { ...(pullRequest({ pr: 3 }) as object), state: 'closed' });
    await w.comment({ body: '/e2e bake mentor-app', pr: 2 });
    await w.comment({ body: '/e2e bake mentor-app', pr: 3 });
    await w.until('both refusals', () => w.github.commentsOn(2).length === 1 && w.github.commentsOn(3).length === 1);
    expect(bodiesOn(w, 2)[0]).toContain('pull requests from forks may not run `/e2e bake`');
    expect(bodiesOn(w, 3)[0]).toContain('this pull request is closed');
    expect(await w.services.store.listRuns()).toHaveLength(1);
  });
});
