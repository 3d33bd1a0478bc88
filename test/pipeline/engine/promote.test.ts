// A promotion as a run (kind `promote`) on the fake cloud, driven by real engines over a real store:
// copies in two regions (pending on the fake clock, tagged at creation, recorded before the wait),
// shared, published in one manifest write, the replaced images deprecated; and what must never
// happen: a copy left behind by a failed, cancelled or crashed promotion, a manifest half written, two
// promotions (or a bake) of one image at once, a published copy torn down.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DescribeImageAttributeCommand, DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { TAG } from '../../../src/aws/tags.ts';
import { parseConfig, type Config } from '../../../src/config/index.ts';
import type { Clock } from '../../../src/domain/clock.ts';
import type { Manifest, ManifestEntry } from '../../../src/domain/image.ts';
import { FileManifest, type ManifestBackend } from '../../../src/images/manifest.ts';
import type { Run } from '../../../src/domain/run.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { Engine, type PromoteRequest } from '../../../src/pipeline/engine.ts';
import type { EngineEvent } from '../../../src/pipeline/events.ts';
import { RunAbandoned } from '../../../src/pipeline/run-errors.ts';
import type { TestRunner } from '../../../src/pipeline/test-runners/types.ts';
import { openStore, type Store } from '../../../src/store/index.ts';
import { awsError, createFakeAwsClients, FakeCloud } from '../../fakes/cloud/index.ts';

const WEST = 'eu-west-1';
const EAST = 'us-east-1';
const SHARE = '210987654321';
const BAKE = 'bake-mentor-app-20261201-aaaaaa';
const OLD_BAKE = 'bake-mentor-app-20261101-bbbbbb';
const INSTALLATION = 'promote-test';

/** The engines' time: the fake cloud's clock, whose sleeps wait while `hold` is on (a promotion caught mid-copy). */
class GateClock implements Clock {
  readonly cloud: FakeCloud;
  #open: Promise<void> = Promise.resolve();
  #release: (() => void) | null = null;
  /** Sleeps waiting at the gate now. */
  waiting = 0;
  constructor(cloud: FakeCloud) {
    this.cloud = cloud;
  }
  now(): Date {
    return this.cloud.clock.now();
  }
  hold(): void {
    if (this.#release) return;
    this.#open = new Promise((resolve) => (this.#release = resolve));
  }
  open(): void {
    this.#release?.();
    this.#release = null;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.waiting++;
    try {
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => reject(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
        void this.#open.then(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    } finally {
      this.waiting--;
    }
    this.cloud.clock.advance(ms);
    await delay(1);
  }
}

interface World {
  cloud: FakeCloud;
  store: Store;
  config: Config;
  clock: GateClock;
  events: EngineEvent[];
  candidate: string;
  oldLatest: Record<string, string>;
  engine(opts?: { beforeStep?: (runId: string, step: string) => void | Promise<void>; manifest?: ManifestBackend }): Engine;
  manifest(): Manifest;
  close(): Promise<void>;
}

const worlds: World[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close();
});

async function world(): Promise<World> {
  const cloud = new FakeCloud({ copyImageMs: 60_000 });
  const aws = createFakeAwsClients(cloud);
  const store = await openStore({ sqlitePath: ':memory:' });
  const dir = mkdtempSync(join(tmpdir(), 'stagebot-promote-'));
  const config = parseConfig(readFileSync(new URL('../../../stagebot.example.yml', import.meta.url), 'utf8'), {}, 'stagebot.example.yml');
  config.installation = INSTALLATION;
  config.imageManifest.path = join(dir, 'manifest.json');
  const image = config.images['mentor-app']!;
  image.regions = [WEST, EAST];
  image.shareWith = [SHARE];
  const clock = new GateClock(cloud);
  const bakeTags = { [TAG.managedBy]: INSTALLATION, [TAG.assetId]: BAKE, [TAG.env]: 'image:mentor-app', 'stagebot:image-channel': 'candidate' };
  const candidate = cloud.addImage({ region: WEST, name: `mentor-app-candidate-${BAKE}`, tags: bakeTags, snapshotTags: bakeTags, snapshotSizeGb: 30 }).imageId;
  const oldLatest: Record<string, string> = {};
  const entry = (ami: string, bakeRun: string) => ({ ami, architecture: 'x86_64', created: '2026-11-01T00:00:00.000Z', deprecation: null, bakeRun });
  const manifest: Manifest = { version: 1, updated: null, images: { 'mentor-app': {} } };
  for (const region of [WEST, EAST]) {
    const oldTags = { [TAG.managedBy]: INSTALLATION, [TAG.assetId]: 'promote-mentor-app-20261102-cccccc', [TAG.env]: 'image:mentor-app', 'stagebot:image-channel': 'latest' };
    oldLatest[region] = cloud.addImage({ region, name: `mentor-app-${OLD_BAKE}`, tags: oldTags, snapshotTags: oldTags }).imageId;
    manifest.images['mentor-app']![region] = { latest: entry(oldLatest[region]!, OLD_BAKE), stable: entry(oldLatest[region]!, OLD_BAKE) };
  }
  manifest.images['mentor-app']![WEST]!.candidate = entry(candidate, BAKE);
  // Stable names the old release too in the east only after this: it stays undeprecated there.
  delete manifest.images['mentor-app']![WEST]!.stable;
  writeFileSync(config.imageManifest.path, JSON.stringify(manifest, null, 2));
  const events: EngineEvent[] = [];
  const engines: Engine[] = [];
  let n = 0;
  const w: World = {
    cloud,
    store,
    config,
    clock,
    events,
    candidate,
    oldLatest,
    engine(opts = {}) {
      const engine = new Engine({
        config, store, aws, clock, logger: silentLogger(), testRunner: {} as TestRunner, checkAccount: async () => undefined,
        ownerId: `promote-test-${++n}`, tickMs: 3_600_000, ...(opts.beforeStep ? { beforeStep: opts.beforeStep } : {}), ...(opts.manifest ? { manifest: opts.manifest } : {}),
      });
      engine.on((e) => events.push(e));
      engines.push(engine);
      return engine;
    },
    manifest: () => JSON.parse(readFileSync(config.imageManifest.path, 'utf8')) as Manifest,
    async close() {
      clock.open();
      for (const e of engines) await e.stop(0).catch(() => undefined);
      aws.destroy();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  worlds.push(w);
  return w;
}

const request = (over: Partial<PromoteRequest> = {}): PromoteRequest => ({ image: 'mentor-app', source: 'candidate', to: 'latest', requester: 'cli:ops', source_: 'cli', ...over });

async function stepStates(store: Store, runId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await store.getSteps(runId)).map((s) => [s.name, s.state]));
}

/** Until `check` holds (bounded: a few seconds of real time). */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await delay(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The promotion's assets in the store that are not deleted. */
async function liveRecorded(store: Store, runId: string) {
  return (await store.getAssets(runId)).filter((a) => a.deletedAt === null).map((a) => `${a.kind} ${a.region}`).sort();
}

describe('promote as a run', () => {
  it('copies to both regions (tagged, recorded before the wait), shares, publishes once, deprecates the replaced image; the copies stay', async () => {
    const w = await world();
    const engine = w.engine();
    const before = w.manifest();
    const { run, position } = await engine.promote(request());
    expect(position).toBeNull();
    expect(run).toMatchObject({ kind: 'promote', env: 'image:mentor-app', options: { image: 'mentor-app', promote: { source: 'candidate', to: 'latest' } } });
    const done = await engine.waitForRun(run.id);
    expect(done.state, done.error ?? '').toBe('succeeded');
    expect(await stepStates(w.store, run.id)).toEqual({ 'copy-image': 'succeeded', share: 'succeeded', publish: 'succeeded', deprecate: 'succeeded', teardown: 'succeeded' });

    const after = w.manifest();
    const latest: Record<string, ManifestEntry> = { [WEST]: after.images['mentor-app']![WEST]!.latest!, [EAST]: after.images['mentor-app']![EAST]!.latest! };
    for (const region of [WEST, EAST]) {
      const copy = latest[region]!;
      expect(copy).toMatchObject({ bakeRun: BAKE, deprecation: null });
      expect(copy.ami).not.toBe(w.oldLatest[region]);
      expect(copy.ami).not.toBe(w.candidate);
      // Tagged at creation, image and snapshot, with the promotion's tags and its channel.
      expect(w.cloud.tagsAtCreation(copy.ami)).toMatchObject({ [TAG.assetId]: run.id, [TAG.managedBy]: INSTALLATION, [TAG.env]: 'image:mentor-app', 'stagebot:image': 'mentor-app', 'stagebot:image-channel': 'latest', Name: `mentor-app-${BAKE}` });
      const ec2 = createFakeAwsClients(w.cloud).ec2(region);
      const img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [copy.ami] }))).Images![0]!;
      expect(img.State).toBe('available');
      const snap = img.BlockDeviceMappings![0]!.Ebs!.SnapshotId!;
      expect(w.cloud.tagsAtCreation(snap)).toMatchObject({ [TAG.assetId]: run.id });
      // Shared: launch permission, and the account sees it among the images it may launch.
      expect((await ec2.send(new DescribeImageAttributeCommand({ ImageId: copy.ami, Attribute: 'launchPermission' }))).LaunchPermissions).toEqual([{ UserId: SHARE }]);
      expect((await ec2.send(new DescribeImagesCommand({ ExecutableUsers: [SHARE] }))).Images!.map((i) => i.ImageId)).toContain(copy.ami);
    }
    // The candidate and stable are untouched; only latest changed.
    expect(after.images['mentor-app']![WEST]!.candidate).toEqual(before.images['mentor-app']![WEST]!.candidate);
    expect(after.images['mentor-app']![EAST]!.stable).toEqual(before.images['mentor-app']![EAST]!.stable);
    // One manifest write for both regions.
    expect((await w.store.manifestHistory()).map((v) => v.reason)).toEqual([`promote ${run.id}: mentor-app ${w.candidate} to latest in ${WEST}, ${EAST}`]);

    // Deprecated where nothing else names the old image (the west); the east's stable still names it.
    const describeOld = async (region: string) => (await createFakeAwsClients(w.cloud).ec2(region).send(new DescribeImagesCommand({ ImageIds: [w.oldLatest[region]!] }))).Images![0]!;
    const due = Date.parse((await describeOld(WEST)).DeprecationTime!);
    expect(Math.abs(due - (w.cloud.clock.nowMs() + w.config.images['mentor-app']!.deprecateAfter))).toBeLessThan(5 * 60_000);
    expect((await describeOld(EAST)).DeprecationTime).toBeUndefined();

    // Two copies, waited on while pending (progress per region), each recorded before the wait.
    expect(w.cloud.callCount('CopyImage')).toBe(2);
    const lines = w.events.flatMap((e) => (e.type === 'step.log' && e.runId === run.id ? [e.line] : []));
    for (const region of [WEST, EAST]) {
      expect(lines.some((l) => l.startsWith(`${region}: ${latest[region]!.ami} pending`)), lines.join('\n')).toBe(true);
      const created = lines.findIndex((l) => l.startsWith(`${region}: CopyImage`));
      expect(created).toBeGreaterThanOrEqual(0);
      expect(created).toBeLessThan(lines.findIndex((l) => l.includes('pending')));
    }
    // The published copies are the release: not torn down, still the run's live assets.
    expect(await liveRecorded(w.store, run.id)).toEqual([`image ${WEST}`, `image ${EAST}`, `snapshot ${WEST}`, `snapshot ${EAST}`]);
    expect(w.cloud.liveAssetsTaggedWith(run.id).map((a) => `${a.kind} ${a.region}`).sort()).toEqual([`image ${WEST}`, `image ${EAST}`, `snapshot ${WEST}`, `snapshot ${EAST}`]);
    expect(await w.store.getLock('image:mentor-app')).toBeNull();
  });

  it.each([
    ['the copy in the second region ends failed', (w: World) => w.cloud.copyImageFails.add(EAST), /copy ami-[0-9a-f]+ in us-east-1 is failed/],
    ['CopyImage in the second region is refused', (w: World) => w.cloud.failNext('CopyImage', awsError('ec2', 'InvalidRequest', 'copies to us-east-1 are refused'), { region: EAST }), /CopyImage of ami-[0-9a-f]+ to us-east-1: .*refused/],
  ])('%s: the first region\'s copy is removed with its snapshot, the manifest is unchanged, the run failed', async (_what, breakIt, why) => {
    const w = await world();
    breakIt(w);
    const before = readFileSync(w.config.imageManifest.path, 'utf8');
    const engine = w.engine();
    const { run } = await engine.promote(request());
    const done = await engine.waitForRun(run.id);
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(why);
    expect(await stepStates(w.store, run.id)).toMatchObject({ 'copy-image': 'failed', teardown: 'succeeded' });
    expect(w.cloud.creations.filter((c) => c.resourceType === 'image').length).toBeGreaterThanOrEqual(1);
    expect(w.cloud.liveAssetsTaggedWith(run.id)).toEqual([]);
    expect(await liveRecorded(w.store, run.id)).toEqual([]);
    expect(readFileSync(w.config.imageManifest.path, 'utf8')).toBe(before);
    expect(await w.store.manifestHistory()).toEqual([]);
    // Nothing was deprecated.
    expect(w.cloud.region(WEST).images.get(w.oldLatest[WEST]!)!.deprecationTime ?? null).toBeNull();
  });

  it('cancelled mid-copy: the pending copies are deregistered, nothing is left, the manifest is unchanged', async () => {
    const w = await world();
    const before = readFileSync(w.config.imageManifest.path, 'utf8');
    const engine = w.engine();
    w.clock.hold();
    const { run } = await engine.promote(request());
    await until('both copies pending', () => w.clock.waiting > 0 && w.cloud.callCount('CopyImage') === 2);
    expect(await liveRecorded(w.store, run.id)).toEqual([`image ${WEST}`, `image ${EAST}`]);
    await engine.cancel(run.id, 'cli:ops');
    const done = await engine.waitForRun(run.id);
    expect(done.state).toBe('cancelled');
    expect(await stepStates(w.store, run.id)).toMatchObject({ 'copy-image': 'cancelled', teardown: 'succeeded' });
    expect(w.cloud.liveAssetsTaggedWith(run.id)).toEqual([]);
    expect(await liveRecorded(w.store, run.id)).toEqual([]);
    expect(readFileSync(w.config.imageManifest.path, 'utf8')).toBe(before);
  });

  it('its process killed mid-copy (kill -9): another engine adopts it and tears the copies down; nothing leaks, the manifest is unchanged', async () => {
    const w = await world();
    const before = readFileSync(w.config.imageManifest.path, 'utf8');
    const first = w.engine();
    w.clock.hold();
    const { run } = await first.promote(request());
    await until('both copies pending', () => w.clock.waiting > 0 && w.cloud.callCount('CopyImage') === 2);
    // A crash: the driver stops where it is; the lease still names the dead process, its heartbeat goes stale.
    first.abandon();
    w.clock.open();
    await first.stop(0);
    expect(await w.store.acquireLease(run.id, first.ownerId, w.clock.now(), w.config.runs.leaseTtl)).toBe(true);
    expect(w.cloud.liveAssetsTaggedWith(run.id).filter((a) => a.kind === 'image')).toHaveLength(2);
    w.cloud.clock.advance(w.config.runs.leaseTtl + 1_000);
    const second = w.engine();
    await second.tick();
    const done = await second.waitForRun(run.id);
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(/interrupted/);
    expect(w.events.filter((e) => e.runId === run.id && e.type === 'run.adopted').map((e) => (e as { action?: string }).action)).toEqual(['teardown']);
    expect(w.cloud.liveAssetsTaggedWith(run.id)).toEqual([]);
    expect(await liveRecorded(w.store, run.id)).toEqual([]);
    expect(readFileSync(w.config.imageManifest.path, 'utf8')).toBe(before);
    expect(await w.store.getLock('image:mentor-app')).toBeNull();
  });

  it('handed over mid-copy (a planned restart): another engine resumes it, adopts the copies by tag and makes no second copy', async () => {
    const w = await world();
    const first = w.engine();
    w.clock.hold();
    const { run } = await first.promote(request());
    await until('both copies pending', () => w.clock.waiting > 0 && w.cloud.callCount('CopyImage') === 2);
    await first.stop(1_000);
    expect((await w.store.getRun(run.id))!.handoverFrom).toBe(first.ownerId);
    w.clock.open();
    const second = w.engine();
    await second.tick();
    const done = await second.waitForRun(run.id);
    expect(done.state, done.error ?? '').toBe('succeeded');
    expect(w.events.filter((e) => e.runId === run.id && e.type === 'run.adopted').map((e) => (e as { action?: string }).action)).toEqual(['resume']);
    expect(w.cloud.callCount('CopyImage')).toBe(2);
    const lines = w.events.flatMap((e) => (e.type === 'step.log' && e.runId === run.id ? [e.line] : []));
    expect(lines.filter((l) => l.includes('adopting'))).toHaveLength(2);
    expect([WEST, EAST].map((r) => w.manifest().images['mentor-app']![r]!.latest!.ami).sort()).toEqual(
      w.cloud.liveAssetsTaggedWith(run.id).filter((a) => a.kind === 'image').map((a) => a.id).sort(),
    );
  });

  /** A promotion whose process dies (kill -9) just before `deprecate`, adopted by a second engine (onAdopt: teardown). */
  async function crashBeforeDeprecate(w: World, manifest?: ManifestBackend) {
    let crashed = false;
    const first = w.engine({
      ...(manifest ? { manifest } : {}),
      beforeStep: (_runId, step) => {
        if (step !== 'deprecate' || crashed) return;
        crashed = true;
        throw new RunAbandoned('crash before deprecate');
      },
    });
    const { run } = await first.promote(request());
    await until('the crash', () => crashed);
    await first.stop(0);
    await w.store.acquireLease(run.id, first.ownerId, w.clock.now(), w.config.runs.leaseTtl);
    w.cloud.clock.advance(w.config.runs.leaseTtl + 1_000);
    const second = w.engine(manifest ? { manifest } : {});
    await second.tick();
    const done = await second.waitForRun(run.id);
    expect(w.events.filter((e) => e.runId === run.id && e.type === 'run.adopted').map((e) => (e as { action?: string }).action)).toEqual(['teardown']);
    const lines = w.events.flatMap((e) => (e.type === 'step.log' && e.runId === run.id ? [`${e.step}: ${e.line}`] : []));
    const warnings = w.events.flatMap((e) => (e.type === 'step.warning' && e.runId === run.id ? [`${e.step}: ${e.message}`] : []));
    return { run, done, lines, warnings };
  }

  const deprecationOf = (w: World, region: string) => w.cloud.region(region).images.get(w.oldLatest[region]!)!.deprecationTime ?? null;

  it('a crash after the manifest was written: the adopter keeps the published copies, deprecates the replaced image as deprecate would have, and the run says it was published', async () => {
    const w = await world();
    const { run, done, lines } = await crashBeforeDeprecate(w);
    const latest = [WEST, EAST].map((r) => w.manifest().images['mentor-app']![r]!.latest!.ami);
    const live = w.cloud.liveAssetsTaggedWith(run.id).filter((a) => a.kind === 'image').map((a) => a.id).sort();
    expect(live).toEqual([...latest].sort());
    expect((await stepStates(w.store, run.id)).deprecate).not.toBe('succeeded');

    // The replaced latest is deprecated where nothing else names it (the west), as the deprecate step does;
    // the east's stable still names it, so it stays launchable.
    const due = deprecationOf(w, WEST);
    expect(due).not.toBeNull();
    expect(Math.abs(new Date(due!).getTime() - (w.cloud.clock.nowMs() + w.config.images['mentor-app']!.deprecateAfter))).toBeLessThan(5 * 60_000);
    expect(deprecationOf(w, EAST)).toBeNull();
    expect(lines.filter((l) => l.startsWith(`teardown: ${WEST}: ${w.oldLatest[WEST]} (the previous latest) deprecated at`))).toHaveLength(1);

    // The promotion happened: the run does not say it failed, and says what it did before the crash.
    expect(done.state, done.error ?? '').toBe('succeeded');
    expect(done.error).toMatch(/^mentor-app@latest was published \(ami-\w+ in eu-west-1, ami-\w+ in us-east-1\); the previous latest ami-\w+ in eu-west-1 deprecated at \d{4}-[^ ]+ \(the run was interrupted: its process \(promote-test-1\) stopped\)$/);
    expect(done.error).toContain(w.oldLatest[WEST]!);
    expect(await w.store.getLock('image:mentor-app')).toBeNull();
  });

  it('a crash after publishing whose deprecation is refused: the release stands, the run says so in its warnings and its line', async () => {
    const w = await world();
    w.cloud.failNext('EnableImageDeprecation', awsError('ec2', 'UnauthorizedOperation', 'not allowed to deprecate'), { region: WEST });
    const { done, warnings } = await crashBeforeDeprecate(w);
    expect(deprecationOf(w, WEST)).toBeNull();
    expect(warnings.some((m) => m.startsWith(`teardown: could not deprecate ${w.oldLatest[WEST]} in ${WEST}:`) && m.includes('not allowed to deprecate')), warnings.join('\n')).toBe(true);
    expect(done.state, done.error ?? '').toBe('succeeded');
    expect(done.error).toMatch(new RegExp(`was published .*; could not deprecate the previous latest ${w.oldLatest[WEST]} in ${WEST}: .*not allowed to deprecate`));
  });

  it('a crash after a publish that opened a pull request: nothing is deprecated (the manifest is unchanged until it is merged), the copies stay for the PR', async () => {
    const w = await world();
    const file = new FileManifest(w.config.imageManifest.path, null);
    const writes: Manifest[] = [];
    const byPullRequest: ManifestBackend = {
      where: 'acme/images:manifest.json@main',
      read: () => file.read(),
      write: async (m) => {
        writes.push(m);
        return { kind: 'pull-request', where: 'acme/images:manifest.json@main', number: 7, url: 'https://github.com/acme/images/pull/7' };
      },
    };
    const { run, done } = await crashBeforeDeprecate(w, byPullRequest);
    expect(writes).toHaveLength(1);
    expect(deprecationOf(w, WEST)).toBeNull();
    expect(deprecationOf(w, EAST)).toBeNull();
    expect(w.cloud.callCount('EnableImageDeprecation')).toBe(0);
    expect(w.cloud.liveAssetsTaggedWith(run.id).filter((a) => a.kind === 'image')).toHaveLength(2);
    expect(done.state, done.error ?? '').toBe('succeeded');
    expect(done.error).toMatch(/^mentor-app@latest was proposed in pull request #7 \(https:\/\/github.com\/acme\/images\/pull\/7\); nothing is deprecated until it is merged \(the run was interrupted: /);
  });

  it('cancelled after publishing, before deprecate: the release stands, the replaced image is deprecated all the same, and the run says what was published', async () => {
    const w = await world();
    let engine: Engine | null = null;
    engine = w.engine({
      beforeStep: async (runId, step) => {
        if (step === 'deprecate') await engine!.cancel(runId, 'cli:ops', 'changed my mind');
      },
    });
    const { run } = await engine.promote(request());
    const done = await engine.waitForRun(run.id);
    expect(done.state).toBe('cancelled');
    expect(await stepStates(w.store, run.id)).toMatchObject({ publish: 'succeeded', teardown: 'succeeded' });
    expect(deprecationOf(w, WEST)).not.toBeNull();
    expect(deprecationOf(w, EAST)).toBeNull();
    expect(done.error).toMatch(/^cancelled by cli:ops.*; mentor-app@latest was published \(.*\); the previous latest ami-\w+ in eu-west-1 deprecated at /);
    const latest = [WEST, EAST].map((r) => w.manifest().images['mentor-app']![r]!.latest!.ami).sort();
    expect(w.cloud.liveAssetsTaggedWith(run.id).filter((a) => a.kind === 'image').map((a) => a.id).sort()).toEqual(latest);
  });

  it('a manifest that cannot be read at publish: the run fails and its teardown leaves the copies for the sweeper (one might be the release), saying so', async () => {
    const w = await world();
    const engine = w.engine({
      beforeStep: (_runId, step) => {
        if (step === 'publish') writeFileSync(w.config.imageManifest.path, '{ not json');
      },
    });
    const { run } = await engine.promote(request());
    const done = await engine.waitForRun(run.id);
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(/is not valid JSON/);
    expect(done.error).toMatch(/left in place, the manifest could not be read/);
    expect(await stepStates(w.store, run.id)).toMatchObject({ publish: 'failed', teardown: 'succeeded' });
    expect(w.cloud.liveAssetsTaggedWith(run.id).filter((a) => a.kind === 'image')).toHaveLength(2);
  });

  it('two promotions of one image never overlap: the second (and a bake) wait for the image lock, then the second finds the release there', async () => {
    const w = await world();
    const engine = w.engine();
    w.clock.hold();
    const one = await engine.promote(request());
    await until('the first promotion copying', () => w.clock.waiting > 0);
    const two = await engine.promote(request({ requester: 'cli:other' }));
    expect(two.position).toBe(1);
    expect(two.run.state).toBe('queued');
    const bake = await engine.bake({ image: 'mentor-app', ref: null, requester: 'cli:baker', source: 'cli' });
    // Queued too (created in the same fake millisecond as the second promotion, so either may come first).
    expect(bake.run.state).toBe('queued');
    expect(bake.position).toBeGreaterThanOrEqual(1);
    expect((await w.store.getLock('image:mentor-app'))?.holder).toBe(one.run.id);
    await engine.cancel(bake.run.id, 'cli:baker');
    w.clock.open();
    expect((await engine.waitForRun(one.run.id)).state).toBe('succeeded');
    const second = await engine.waitForRun(two.run.id);
    expect(second.state, second.error ?? '').toBe('succeeded');
    // It started only after the first ended, and copied nothing: the same bake's release was published already.
    expect(second.startedAt!.getTime()).toBeGreaterThanOrEqual((await w.store.getRun(one.run.id))!.finishedAt!.getTime());
    expect(w.cloud.callCount('CopyImage')).toBe(2);
    const copied = (await w.store.getStep(two.run.id, 'copy-image'))!.outputs as { copies: { how: string }[] };
    expect(copied.copies.map((c) => c.how)).toEqual(['reused', 'reused']);
    expect(await stepStates(w.store, two.run.id)).toMatchObject({ publish: 'succeeded', deprecate: 'skipped' });
  });

  it('refuses an AMI the manifest does not have, in one line, before queueing anything', async () => {
    const w = await world();
    const engine = w.engine();
    await expect(engine.promote(request({ source: 'ami-0123456789abcdef0' }))).rejects.toThrow('ami-0123456789abcdef0 is not an AMI of image mentor-app in the manifest (`images mentor-app` lists them)');
    await expect(engine.promote(request({ image: 'nope' }))).rejects.toThrow(/^no image nope; valid: mentor-app/);
    expect(await w.store.listRuns({})).toEqual([] as Run[]);
  });
});
