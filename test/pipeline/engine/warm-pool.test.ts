// The warm pool end to end on the fake cloud with a real sshd: the keeper prepares a member (a replenish
// run: launch tagged with the pool, full recipe at baseRef, parked stopped, door and key removed, machine
// kept), a launch claims it (retag, start, warm recipe), evictions go through a fenced teardown, and a
// crash during a replenish or a claim leaves every member's assets owned by exactly one of run or pool.
import { describe, expect, it } from 'vitest';
import { TAG } from '../../../src/aws/tags.ts';
import { isFinished } from '../../../src/domain/run.ts';
import type { Engine } from '../../../src/pipeline/engine.ts';
import { RunAbandoned } from '../../../src/pipeline/run-errors.ts';
import { wouldLaunchWarm } from '../../../src/pipeline/pool-readiness.ts';
import { ec2Error } from '../../fakes/cloud/index.ts';
import { REGION, crashEngine, createWorld, nextEvent, useWorlds, waitForEnd, waitForFinished, type World, type WorldOptions } from './harness.ts';

const FULL = [{ name: 'full update', run: 'echo "full update at $STAGEBOT_REF"' }];
const WARM = [{ name: 'warm update', run: 'echo "warm update to $STAGEBOT_REF"' }];

function pooled(pool: Record<string, unknown> = {}, over: WorldOptions = {}): WorldOptions {
  return {
    ...over,
    configData: (data) => {
      data.environments.stg1.warmPool = { size: 1, baseRef: 'main', mode: 'stopped', maxAge: '12h', ...pool };
      data.environments.stg1.serviceUpdate = { full: FULL, warm: WARM };
      over.configData?.(data);
    },
  };
}

const world = useWorlds((fx, opts?: WorldOptions) => createWorld(fx, opts ?? pooled()));

/** One pass of the keeper; the ids of the members it started preparing. */
async function pass(engine: Engine): Promise<string[]> {
  const out = await engine.poolPass();
  expect(out).not.toBeNull();
  return out!.started;
}

/** A pool of one, prepared: the member's id once its replenish run has succeeded. */
async function readyMember(w: World, engine: Engine): Promise<string> {
  const [id] = await pass(engine);
  expect(id).toBeDefined();
  const run = await waitForFinished(w.store, id!);
  expect(run.error).toBeNull();
  expect(run.state).toBe('succeeded');
  return id!;
}

/** RunInstances calls that tagged their instance with `runId`. */
function runInstancesOf(w: World, runId: string): number {
  return w.cloud.calls.filter((c) => c.command === 'RunInstances' && JSON.stringify(c.input).includes(`"${runId}"`)).length;
}

function memberInstance(w: World, memberId: string): string {
  const instance = w.live(memberId).find((a) => a.kind === 'instance');
  expect(instance).toBeDefined();
  return instance!.id;
}

describe('replenish', () => {
  it('prepares a member: tagged with the pool at creation, full recipe at baseRef, parked stopped, door and key gone, machine kept', async () => {
    const w = await world();
    const engine = w.engine();
    w.cloud.resetCalls();
    const id = await readyMember(w, engine);
    const calls = w.cloud.calls.length;

    const member = (await w.store.poolMember(id))!;
    expect(member).toMatchObject({ state: 'ready', env: 'stg1', baseRef: 'main', ami: w.envs[0]!.amiId });
    expect(member.builtAt).not.toBeNull();
    const instanceId = memberInstance(w, id);
    expect(member.instanceId).toBe(instanceId);
    expect(w.cloud.tagsAtCreation(instanceId)).toMatchObject({ [TAG.assetId]: id, [TAG.pool]: 'stg1', [TAG.env]: 'stg1' });
    const inst = w.cloud.region(REGION).instances.get(instanceId)!;
    expect(inst.state).toBe('stopped');
    // What the pool keeps: the instance, its volume and interface; the SSH rule is gone.
    expect(w.live(id).map((a) => a.kind).sort()).toEqual(['instance', 'network-interface', 'volume']);
    const steps = await w.store.getSteps(id);
    expect(steps.map((s) => `${s.name}:${s.state}`)).toEqual(['launch:succeeded', 'open-ssh:succeeded', 'wait-ssh:succeeded', 'service-update:succeeded', 'park:succeeded', 'teardown:succeeded']);
    const logs = w.events.filter((e) => e.runId === id && e.type === 'step.finished' && e.step === 'service-update');
    expect(logs).toHaveLength(1);
    expect(await wouldLaunchWarm(w.store, w.config, 'stg1', w.clock.now())).toBe(true);
    // A full pool: the next pass prepares nothing.
    expect(await pass(engine)).toEqual([]);
    expect(calls).toBeGreaterThan(0);
    console.info(`replenish of one member: ${calls} AWS calls (${[...new Set(w.cloud.calls.map((c) => c.command))].join(', ')})`);
  });

  it('a member whose recipe fails is torn down whole and forgotten; the next pass tries again', async () => {
    const w = await world(pooled({}, { configData: (d) => (d.environments.stg1.serviceUpdate.full = [{ name: 'broken', run: 'exit 3' }]) }));
    const engine = w.engine();
    const [id] = await pass(engine);
    const run = await waitForFinished(w.store, id!);
    expect(run.state).toBe('failed');
    expect(w.live(id!)).toEqual([]);
    expect(await w.store.poolMember(id!)).toBeNull();
    expect(await wouldLaunchWarm(w.store, w.config, 'stg1', w.clock.now())).toBe(false);
    const [again] = await pass(engine);
    expect(again).toBeDefined();
    expect(again).not.toBe(id);
    await waitForFinished(w.store, again!);
  });
});

describe('claim on launch', () => {
  it('takes the ready member: retagged to the run, started, warm recipe; says so; teardown leaves nothing of it', async () => {
    const w = await world();
    const engine = w.engine();
    const memberId = await readyMember(w, engine);
    const instanceId = memberInstance(w, memberId);
    w.cloud.resetCalls();
    const { run } = await engine.launch(w.request());
    const tested = nextEvent(engine, (e) => e.runId === run.id && e.type === 'step.started' && e.step === 'register');
    await tested;
    // Mid-run: the instance is the run's (its seven tags), not the pool's.
    const tags = w.cloud.tagsOf(instanceId)!;
    expect(tags[TAG.assetId]).toBe(run.id);
    expect(tags[TAG.requestedBy]).toBe('slack:U0ENGINE1');
    expect(tags[TAG.pool]).toBeUndefined();
    expect((await w.store.getAssets(run.id)).map((a) => a.id)).toContain(instanceId);
    const done = await waitForEnd(engine, run.id);
    expect(done.state).toBe('succeeded');
    // The claim woke the keeper, whose refill launches a member of its own; the launch launched nothing.
    expect(runInstancesOf(w, run.id)).toBe(0);
    expect(w.cloud.calls.filter((c) => c.command === 'StartInstances' && JSON.stringify(c.input).includes(instanceId))).toHaveLength(1);

    const warning = w.eventsOf(run.id, 'step.warning').map((e) => (e as { message: string }).message);
    expect(warning.some((m) => m.startsWith(`took warm member ${memberId} (${instanceId}`))).toBe(true);
    const update = w.eventsOf(run.id, 'step.finished').find((e) => (e as { step: string }).step === 'service-update') as { detail: { items: { name: string }[]; recipe?: string } };
    expect(update.detail.recipe).toBe('warm');
    expect(update.detail.items.map((i) => i.name)).toEqual(['warm update']);
    // Torn down with the run; the store forgot the member.
    expect(w.live(run.id)).toEqual([]);
    expect(w.live(memberId)).toEqual([]);
    expect(await w.store.poolMember(memberId)).toBeNull();
  });

  it('with no member ready the launch goes cold and the pool refills', async () => {
    const w = await world();
    const engine = w.engine();
    const { run } = await engine.launch(w.request());
    const done = await waitForEnd(engine, run.id);
    expect(done.state).toBe('succeeded');
    expect(runInstancesOf(w, run.id)).toBe(1);
    expect(w.eventsOf(run.id, 'step.warning').some((e) => /warm member/.test((e as { message: string }).message))).toBe(false);
    const update = w.eventsOf(run.id, 'step.finished').find((e) => (e as { step: string }).step === 'service-update') as { detail: { items: { name: string }[] } };
    expect(update.detail.items.map((i) => i.name)).toEqual(['full update']);
    const [refill] = await pass(engine);
    expect(refill).toBeDefined();
    await waitForFinished(w.store, refill!);
    expect((await w.store.poolMember(refill!))!.state).toBe('ready');
  });

  it('a claim wakes the keeper: the pool is full again without waiting for a tick', async () => {
    const w = await world();
    const engine = w.engine();
    const memberId = await readyMember(w, engine);
    const { run } = await engine.launch(w.request());
    await waitForEnd(engine, run.id);
    const deadline = performance.now() + 15_000;
    let next: string | undefined;
    while (!next && performance.now() < deadline) {
      next = (await w.store.listPoolMembers('stg1')).find((m) => m.id !== memberId)?.id;
      if (!next) await new Promise((r) => setTimeout(r, 20));
    }
    expect(next).toBeDefined();
    await waitForFinished(w.store, next!);
    expect((await w.store.poolMember(next!))!.state).toBe('ready');
  });
});

describe('eviction', () => {
  it("a member built from an AMI that is no longer the environment's is terminated and forgotten, and one is prepared from the new AMI", async () => {
    const w = await world();
    const engine = w.engine();
    const memberId = await readyMember(w, engine);
    const instanceId = memberInstance(w, memberId);
    const { imageId } = w.cloud.addImage({ region: REGION, name: 'stg1-next' });
    w.config.environments.stg1!.ami = imageId;
    const out = (await engine.poolPass())!;
    expect(out.evicted).toEqual([{ id: memberId, reason: expect.stringMatching(new RegExp(`built from ${w.envs[0]!.amiId}, but the environment's AMI is now ${imageId}`)) }]);
    expect(out.failed).toEqual([]);
    expect(w.live(memberId)).toEqual([]);
    expect(w.cloud.region(REGION).instances.get(instanceId)!.state).toBe('terminated');
    expect(await w.store.poolMember(memberId)).toBeNull();
    expect(out.started).toHaveLength(1);
    await waitForFinished(w.store, out.started[0]!);
    expect((await w.store.poolMember(out.started[0]!))!).toMatchObject({ state: 'ready', ami: imageId });
  });

  it('outside its hours the pool drains', async () => {
    const w = await world();
    const engine = w.engine();
    const memberId = await readyMember(w, engine);
    w.config.environments.stg1!.warmPool!.hours = [{ from: 0, to: 1, days: [] }];
    const out = (await engine.poolPass())!;
    expect(out.evicted).toEqual([{ id: memberId, reason: "outside the pool's hours" }]);
    expect(out.started).toEqual([]);
    expect(w.live(memberId)).toEqual([]);
  });
});

describe('crash safety', () => {

  /** A replenish whose engine dies in the middle of its (slow) full recipe: the member is half made. */
  async function killedMidReplenish(): Promise<{ w: World; id: string }> {
    const w = await world(pooled({}, { configData: (d) => (d.environments.stg1.serviceUpdate.full = [{ name: 'slow', run: 'sleep 5' }]) }));
    const engine = w.engine();
    const started = nextEvent(engine, (e) => e.type === 'step.started' && e.step === 'service-update');
    const [id] = await pass(engine);
    await started;
    await crashEngine(w, engine, [id!]);
    return { w, id: id! };
  }

  it('kill -9 during a replenish: the adopter tears the member down whole and the store forgets it', async () => {
    const { w, id } = await killedMidReplenish();
    expect(w.live(id).some((a) => a.kind === 'instance')).toBe(true);

    const engine2 = w.engine();
    await engine2.tick();
    const run = await waitForFinished(w.store, id);
    expect(run.state).toBe('failed');
    expect(w.live(id)).toEqual([]);
    expect(await w.store.poolMember(id)).toBeNull();
  });

  it('a replenish abandoned with nobody to adopt it is evicted by the plan once it is overdue', async () => {
    const { w, id } = await killedMidReplenish();
    // Its run ended without a teardown (say an operator marked it failed); the member is still "preparing".
    expect(await w.store.transitionRun(id, ['running', 'tearing_down'], 'failed', { finishedAt: w.clock.now(), error: 'abandoned' })).toBe(true);
    w.clock.advance(w.config.runs.timeout + 4 * w.config.runs.leaseTtl);
    const engine2 = w.engine();
    const out = (await engine2.poolPass())!;
    expect(out.evicted).toEqual([{ id, reason: expect.stringMatching(/abandoned/) }]);
    expect(out.failed).toEqual([]);
    expect(w.live(id)).toEqual([]);
    expect(await w.store.poolMember(id)).toBeNull();
  });

  /** The process dies at the next matching `command` (applied first when `afterApplying`). */
  function crashAt(w: World, engine: () => Engine, command: string, instanceId: string, afterApplying: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      w.cloud.failNext(command, ec2Error('InternalFailure', 'the process died here'), {
        afterApplying,
        match: (input) => {
          const ids = (input['Resources'] ?? input['InstanceIds']) as string[] | undefined;
          if (!ids?.includes(instanceId)) return false;
          engine().abandon();
          resolve();
          return true;
        },
      });
    });
  }

  it("a crash mid-claim (before the retag): the member is the run's; its adopter retags and tears it down, the pool never offers it again", async () => {
    const w = await world();
    const engine = w.engine();
    const memberId = await readyMember(w, engine);
    const instanceId = memberInstance(w, memberId);
    const crashed = crashAt(w, () => engine, 'CreateTags', instanceId, false);
    const { run } = await engine.launch(w.request());
    await crashed;
    await crashEngine(w, engine, [run.id]);
    const member = (await w.store.poolMember(memberId))!;
    expect(member).toMatchObject({ state: 'claimed', claimedBy: run.id });
    // Still tagged as the pool's, but nobody else can take it and the keeper does not count or touch it.
    expect(w.cloud.tagsOf(instanceId)![TAG.assetId]).toBe(memberId);
    expect(await w.store.claimPoolMember('stg1', 'someone-else', { ami: member.ami, builtAfter: new Date(0) }, w.clock.now())).toBeNull();

    const engine2 = w.engine();
    await engine2.tick();
    const done = await waitForFinished(w.store, run.id);
    expect(isFinished(done.state)).toBe(true);
    expect(w.cloud.region(REGION).instances.get(instanceId)!.state).toBe('terminated');
    expect(w.live(run.id)).toEqual([]);
    expect(w.live(memberId)).toEqual([]);
    expect(await w.store.poolMember(memberId)).toBeNull();
  });

  it('a crash after StartInstances, resumed: the run finishes the claim and goes on warm', async () => {
    const w = await world(pooled({}, { configData: (d) => (d.runs.onAdopt = 'resume') }));
    const engine = w.engine();
    const memberId = await readyMember(w, engine);
    const instanceId = memberInstance(w, memberId);
    const crashed = crashAt(w, () => engine, 'StartInstances', instanceId, true);
    const { run } = await engine.launch(w.request());
    await crashed;
    await crashEngine(w, engine, [run.id]);
    const engine2 = w.engine();
    await engine2.tick();
    const done = await waitForFinished(w.store, run.id);
    expect(done.state).toBe('succeeded');
    expect(runInstancesOf(w, run.id)).toBe(0);
    const update = (await w.timeline(run.id)).find((e) => e.type === 'step.finished' && e.data['step'] === 'service-update');
    expect((update!.data['detail'] as { recipe?: string }).recipe).toBe('warm');
    expect(w.cloud.region(REGION).instances.get(instanceId)!.state).toBe('terminated');
    expect(w.live(memberId)).toEqual([]);
    expect(w.live(run.id)).toEqual([]);
  });
});

describe('two engines racing for members', () => {
  it('never hands one member to two launches', async () => {
    const w = await world(pooled({ size: 2 }));
    const engine = w.engine();
    const first = await pass(engine);
    expect(first).toHaveLength(2);
    for (const id of first) await waitForFinished(w.store, id);
    const other = await w.database.open();
    const [a, b, c] = await Promise.all([
      w.store.claimPoolMember('stg1', 'run-a', { ami: w.envs[0]!.amiId, builtAfter: new Date(0) }, w.clock.now()),
      other.claimPoolMember('stg1', 'run-b', { ami: w.envs[0]!.amiId, builtAfter: new Date(0) }, w.clock.now()),
      other.claimPoolMember('stg1', 'run-c', { ami: w.envs[0]!.amiId, builtAfter: new Date(0) }, w.clock.now()),
    ]);
    const won = [a, b, c].filter((m) => m !== null).map((m) => m!.id);
    expect(won).toHaveLength(2);
    expect(new Set(won).size).toBe(2);
  });
});
