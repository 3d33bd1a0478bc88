// The warm pool's steps one by one on the fake cloud (no SSH): a replenish's launch and park with an
// ephemeral key pair (its private key sealed for the claim), the replenish teardown that keeps the
// parked member, and the claim on launch: the AWS calls each takes, the key that travels, the tags.
import { afterEach, describe, expect, it } from 'vitest';
import { TAG } from '../../../src/aws/tags.ts';
import { newRunId } from '../../../src/domain/run-id.ts';
import { poolKeyEntry } from '../../../src/pipeline/pool-records.ts';
import { EPHEMERAL_KEY_SECRET, type LaunchOutputs, type ParkOutputs } from '../../../src/pipeline/step-outputs.ts';
import { launchStep } from '../../../src/pipeline/steps/launch.ts';
import { parkStep } from '../../../src/pipeline/steps/park.ts';
import { replenishPipeline, replenishTeardownStep } from '../../../src/pipeline/steps/replenish.ts';
import { stepNames } from '../../../src/pipeline/pipeline.ts';
import { REPLENISH_STEP_NAMES } from '../../../src/domain/pool.ts';
import { teardownStep } from '../../../src/pipeline/steps/teardown.ts';
import { openStore, type Store } from '../../../src/store/index.ts';
import { FakeCloud } from '../../fakes/cloud/index.ts';
import { createTestRun, exampleConfig, type TestRun } from '../support/run-context.ts';

const HANDOVER_KEY = 'a-long-enough-operator-secret-for-tests';
const POOL = { size: 1, mode: 'stopped' as const, maxAge: 12 * 3_600_000, baseRef: 'main' };
const ENV = { warmPool: POOL, warmUpdate: [{ name: 'warm', run: 'git pull', retries: 0, continueOnError: false }] } as never;

const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function worldOf(): Promise<{ cloud: FakeCloud; store: Store }> {
  const store = await openStore({ sqlitePath: ':memory:' });
  opened.push(store);
  return { cloud: new FakeCloud(), store };
}

/** A replenish run of stg1 (ephemeral key pairs) with its member recorded as the keeper records it. */
async function replenish(cloud: FakeCloud, store: Store, handoverKey: string | null = HANDOVER_KEY): Promise<TestRun> {
  const id = newRunId('stg1', cloud.clock.now());
  const ami = exampleConfig().environments.stg1!.ami;
  await store.insertPoolMember({ id, env: 'stg1', region: 'us-east-1', ami, baseRef: 'main', createdAt: cloud.clock.now() });
  const r = await createTestRun({ cloud, store, runId: id, kind: 'replenish', env: ENV, handoverKey, runOptions: { ref: 'main' }, source: 'cron', requester: 'cron:pool' });
  opened.push(r);
  return r;
}

async function parked(cloud: FakeCloud, store: Store): Promise<{ r: TestRun; launch: LaunchOutputs; park: ParkOutputs }> {
  const r = await replenish(cloud, store);
  const launch = (await r.runStep(launchStep)).outputs as LaunchOutputs;
  const park = (await r.runStep(parkStep)).outputs as ParkOutputs;
  await r.runStep(replenishTeardownStep);
  return { r, launch, park };
}

describe('replenish steps', () => {
  it('are the ones every front lists for a replenish run', () => {
    expect(stepNames(replenishPipeline())).toEqual([...REPLENISH_STEP_NAMES]);
  });

  it('launch tags the member with the pool at creation; park seals its key, moves expires-at, stops it and offers it', async () => {
    const { cloud, store } = await worldOf();
    const r = await replenish(cloud, store);
    cloud.resetCalls();
    const launch = (await r.runStep(launchStep)).outputs as LaunchOutputs;
    expect(cloud.tagsAtCreation(launch.instanceId)).toMatchObject({ [TAG.assetId]: r.runId, [TAG.pool]: 'stg1' });
    for (const id of [...launch.volumeIds, ...launch.networkInterfaceIds]) expect(cloud.tagsAtCreation(id)).toMatchObject({ [TAG.pool]: 'stg1' });
    const park = (await r.runStep(parkStep)).outputs as ParkOutputs;
    expect(park).toMatchObject({ memberId: r.runId, instanceId: launch.instanceId, mode: 'stopped', keySealed: true });
    expect(cloud.region('us-east-1').instances.get(launch.instanceId)!.state).toBe('stopped');
    const member = (await store.poolMember(r.runId))!;
    expect(member).toMatchObject({ state: 'ready', instanceId: launch.instanceId });
    // Sealed, not stored in the clear.
    const sealed = String((await store.kvGet(poolKeyEntry(r.runId)))!.value);
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(sealed).not.toContain(r.secrets.get(EPHEMERAL_KEY_SECRET)!.split('\n')[1]!);
    const expires = Date.parse(cloud.tagsOf(launch.instanceId)![TAG.expiresAt]!);
    expect(expires).toBeGreaterThan(cloud.clock.now().getTime() + POOL.maxAge);

    await r.runStep(replenishTeardownStep);
    // The key pair went (its private key is sealed); the member's machine stayed.
    expect(r.cloud.liveAssetsTaggedWith(r.runId).map((a) => a.kind).sort()).toEqual(['instance', 'network-interface', 'volume']);
    expect((await store.getAssets(r.runId)).filter((a) => a.deletedAt === null).map((a) => a.kind).sort()).toEqual(['instance', 'network-interface', 'volume']);
  });

  it('an ephemeral-key member cannot be parked without STAGEBOT_HANDOVER_KEY, and its teardown removes it whole', async () => {
    const { cloud, store } = await worldOf();
    const r = await replenish(cloud, store, null);
    await r.runStep(launchStep);
    await expect(r.runStep(parkStep)).rejects.toThrow(/STAGEBOT_HANDOVER_KEY/);
    expect((await store.poolMember(r.runId))!.state).toBe('preparing');
    await r.runStep(replenishTeardownStep);
    expect(cloud.liveAssetsTaggedWith(r.runId)).toEqual([]);
    expect(await store.poolMember(r.runId)).toBeNull();
  });

  it('a member evicted while it was prepared is not offered', async () => {
    const { cloud, store } = await worldOf();
    const r = await replenish(cloud, store);
    await r.runStep(launchStep);
    expect(await store.evictPoolMember(r.runId, 'in excess of the pool\'s size 0')).toBe(true);
    await expect(r.runStep(parkStep)).rejects.toThrow(/evicting \(in excess/);
    expect((await store.poolMember(r.runId))!.state).toBe('evicting');
  });
});

describe('claim on launch', () => {
  it('takes the parked member with its key: retagged, started with a new public address, no RunInstances', async () => {
    const { cloud, store } = await worldOf();
    const { r, launch: prepared } = await parked(cloud, store);
    const l = await createTestRun({ cloud, store, env: ENV, handoverKey: HANDOVER_KEY, requester: 'slack:U0CLAIM' });
    opened.push(l);
    cloud.resetCalls();
    const out = (await l.runStep(launchStep)).outputs as LaunchOutputs;
    const calls = cloud.calls.map((c) => c.command);
    expect(out).toMatchObject({ instanceId: prepared.instanceId, warmMember: r.runId, adopted: false });
    expect(out.publicIp).toBeTruthy();
    expect(calls).not.toContain('RunInstances');
    expect(calls.filter((c) => c === 'StartInstances')).toHaveLength(1);
    expect(l.secrets.get(EPHEMERAL_KEY_SECRET)).toBe(r.secrets.get(EPHEMERAL_KEY_SECRET));
    for (const id of [out.instanceId, ...out.volumeIds, ...out.networkInterfaceIds]) {
      const tags = cloud.tagsOf(id)!;
      expect(tags).toMatchObject({ [TAG.assetId]: l.runId, [TAG.requestedBy]: 'slack:U0CLAIM', [TAG.env]: 'stg1' });
      expect(tags[TAG.pool]).toBeUndefined();
    }
    expect((await store.getAssets(l.runId)).map((a) => a.kind).sort()).toEqual(['instance', 'network-interface', 'volume']);
    expect((await store.getAssets(r.runId)).filter((a) => a.deletedAt === null)).toEqual([]);
    expect(l.eventsOf('step.warning').map((e) => e.message)).toEqual([expect.stringMatching(new RegExp(`^took warm member ${r.runId} \\(${prepared.instanceId}, prepared at main`))]);
    console.info(`claim on launch: ${calls.length} AWS calls (${calls.join(', ')})`);

    await l.runStep(teardownStep);
    expect(cloud.liveAssetsTaggedWith(l.runId)).toEqual([]);
    expect(cloud.liveAssetsTaggedWith(r.runId)).toEqual([]);
    expect(await store.poolMember(r.runId)).toBeNull();
    expect(await store.kvGet(poolKeyEntry(r.runId))).toBeNull();
  });

  it('without the operator key a launch leaves the member alone and goes cold', async () => {
    const { cloud, store } = await worldOf();
    const { r } = await parked(cloud, store);
    const l = await createTestRun({ cloud, store, env: ENV, handoverKey: null });
    opened.push(l);
    const out = (await l.runStep(launchStep)).outputs as LaunchOutputs;
    expect(out.warmMember).toBeUndefined();
    expect((await store.poolMember(r.runId))!.state).toBe('ready');
  });

  it('a member older than maxAge, or of another AMI, is not taken', async () => {
    const { cloud, store } = await worldOf();
    const { r } = await parked(cloud, store);
    cloud.clock.advance(POOL.maxAge + 60_000);
    const l = await createTestRun({ cloud, store, env: ENV, handoverKey: HANDOVER_KEY });
    opened.push(l);
    expect(((await l.runStep(launchStep)).outputs as LaunchOutputs).warmMember).toBeUndefined();
    expect((await store.poolMember(r.runId))!.state).toBe('ready');
  });

  it('a member whose instance is gone is forgotten and the launch goes cold', async () => {
    const { cloud, store } = await worldOf();
    const { r, launch } = await parked(cloud, store);
    cloud.region('us-east-1').instances.get(launch.instanceId)!.state = 'terminated';
    const l = await createTestRun({ cloud, store, env: ENV, handoverKey: HANDOVER_KEY });
    opened.push(l);
    const out = (await l.runStep(launchStep)).outputs as LaunchOutputs;
    expect(out.warmMember).toBeUndefined();
    expect(out.instanceId).not.toBe(launch.instanceId);
    expect(await store.poolMember(r.runId)).toBeNull();
    expect(l.eventsOf('step.warning').some((e) => /is gone/.test(e.message))).toBe(true);
  });
});
