// What the engine does when a run's own bookkeeping fails (a keep AWS refuses, a store that errs
// between steps), and the locks a run may hold beyond its own environment: every path still ends
// with the run torn down and every environment it held free again.
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isFinished, type Run } from '../../../src/domain/run.ts';
import type { Engine } from '../../../src/pipeline/engine.ts';
import type { Store } from '../../../src/store/index.ts';
import { unauthorized } from '../../fakes/cloud/index.ts';
import { ACCOUNT_ID, createWorld, launchAndWait, nextEvent, useWorlds, waitForState, type World } from './harness.ts';

const world = useWorlds(createWorld);

/** `store` with `method` replaced; everything else as it is. */
function storeWith<K extends keyof Store>(store: Store, method: K, replacement: Store[K]): Store {
  return new Proxy(store, {
    get: (target, prop, receiver) => (prop === method ? replacement : Reflect.get(target, prop, receiver)),
  });
}

/** Ticks the engine until the run has finished and let go of its lease (bounded). */
async function tickUntilFinished(engine: Engine, store: Store, runId: string, ticks = 40): Promise<Run> {
  let run: Run | null = null;
  for (let i = 0; i < ticks; i++) {
    await engine.tick();
    run = await store.getRun(runId);
    if (run && isFinished(run.state) && run.leaseOwner === null) return run;
    await delay(25);
  }
  throw new Error(`run ${runId} is ${run?.state ?? 'missing'} (lease ${run?.leaseOwner ?? 'none'}) after ${ticks} ticks`);
}

async function locksOf(w: World, runId: string): Promise<string[]> {
  return (await w.store.listLocks()).filter((l) => l.holder === runId).map((l) => l.env);
}

describe('runs whose own bookkeeping fails', () => {
  it('a keep whose retag AWS refuses tears the environment down instead of leaving it up', async () => {
    const w = await world();
    // Tags at creation are part of RunInstances; the only CreateTags of a run is the keep's retag.
    w.cloud.failNext('CreateTags', unauthorized('CreateTags', 'ec2', ACCOUNT_ID));
    const engine = w.engine();
    const run = await launchAndWait(engine, w.request({ keepMs: 3_600_000 }), 10_000);

    expect(run.state).toBe('failed');
    expect(run.error).toMatch(/could not keep/);
    expect(w.cloud.faults.pending()).toBe(0);
    expect((await w.store.getStep(run.id, 'teardown'))!.state).toBe('succeeded');
    expect(w.live(run.id)).toEqual([]);
    expect(await locksOf(w, run.id)).toEqual([]);
    expect((await w.store.getRun(run.id))!.leaseOwner).toBeNull();
  });

  it('a store error that stops the driver gives its lease up, so the next tick adopts the run and tears it down', async () => {
    const w = await world();
    let failed = false;
    const flaky = storeWith(w.store, 'updateRun', async (id, patch) => {
      if (!failed && patch.state === 'tearing_down') {
        failed = true;
        throw new Error('connection terminated unexpectedly');
      }
      return w.store.updateRun(id, patch);
    });
    const engine = w.engine({ store: flaky });
    const { run } = await engine.launch(w.request());
    const stuck = await waitForState(w.store, run.id, ['running'], 1_000);
    for (let i = 0; i < 400 && !failed; i++) await delay(25);
    expect(failed).toBe(true);
    expect(w.live(stuck.id).some((a) => a.kind === 'instance')).toBe(true);

    const done = await tickUntilFinished(engine, w.store, run.id);
    expect(done.state).toBe('failed');
    expect(w.live(run.id)).toEqual([]);
    expect(await locksOf(w, run.id)).toEqual([]);
    expect((await w.timeline(run.id)).filter((e) => e.type === 'run.adopted').map((e) => e.data.action)).toEqual(['teardown']);
  });
  it('a run whose environment left the configuration is left to the sweeper, not adopted again at every tick', async () => {
    const w = await world();
    const [gone, kept] = w.envs.map((e) => e.name) as [string, string];
    const crashed = w.engine();
    const registering = nextEvent(crashed, (e) => e.type === 'step.started' && e.step === 'register');
    const { run } = await crashed.launch(w.request({ env: gone }));
    await registering;
    crashed.abandon();
    w.clock.advance(w.config.runs.leaseTtl + 1_000);

    const { [gone]: _removed, ...environments } = w.config.environments;
    const engine = w.engine({ config: { ...w.config, environments, pool: [kept] } });
    for (let i = 0; i < 3; i++) await engine.tick();
    await engine.flush();
    const left = (await w.store.getRun(run.id))!;
    expect(left.state).toBe('running');
    expect(left.leaseOwner).toBe(crashed.ownerId);
    expect((await w.timeline(run.id)).filter((e) => e.type === 'run.adopted')).toEqual([]);
  });
});

describe('locks a run holds beyond its own environment', () => {
  it('a pool run that another replica also claimed an environment for frees both when it finishes', async () => {
    const w = await world();
    const [first, second] = w.envs.map((e) => e.name) as [string, string];
    // Another replica's pump, racing this one for the same queued run, claims the second environment
    // for it while this one claims the first (and starts the run there).
    const racing = storeWith(w.store, 'claimLock', async (lock) => {
      const claimed = await w.store.claimLock(lock);
      if (claimed && lock.holderKind === 'run' && lock.env === first) await w.store.claimLock({ ...lock, env: second });
      return claimed;
    });
    const engine = w.engine({ store: racing });
    const run = await launchAndWait(engine, w.request({ env: null }));

    expect(run.state).toBe('succeeded');
    expect(run.env).toBe(first);
    expect(await locksOf(w, run.id)).toEqual([]);
    expect(await w.store.listLocks()).toEqual([]);
  });

  it('cancelling a queued run frees an environment a pump claimed for it before its process died', async () => {
    const w = await world();
    const [first, second] = w.envs.map((e) => e.name) as [string, string];
    const engine = w.engine();
    const person = { holderKind: 'person' as const, reason: 'hands off', sticky: true, since: w.clock.now() };
    await w.store.claimLock({ ...person, env: first, holder: 'slack:U0LOCKER' });
    await w.store.claimLock({ ...person, env: second, holder: 'slack:U0LOCKER' });
    const { run, position } = await engine.launch(w.request({ env: null }));
    expect(position).toBe(1);
    // The second environment frees up, and a pump on another replica claims it for the run, then
    // that replica dies before it starts the run.
    await w.store.releaseLock(second, 'slack:U0LOCKER');
    await w.store.claimLock({ env: second, holder: run.id, holderKind: 'run', reason: null, sticky: false, since: w.clock.now() });

    const cancelled = await engine.cancel(run.id, 'slack:U0CANCEL');
    expect(cancelled.state).toBe('cancelled');
    expect(await locksOf(w, run.id)).toEqual([]);
    expect(await w.store.getLock(second)).toBeNull();
    expect((await w.store.getLock(first))?.holder).toBe('slack:U0LOCKER');
  });
});
