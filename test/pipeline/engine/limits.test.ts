// Timeouts, shutdown hand-over, cancels that reach the replica driving the run, and launches the
// engine must refuse.
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../../src/pipeline/events.ts';
import { uniqueSleep, waitUntilGone } from '../../support/processes.ts';
import { createWorld, nextEvent, remoteRunning, runItem, useWorlds, waitForEnd, waitForFinished, type World } from './harness.ts';

const world = useWorlds(createWorld);

describe('engine limits and hand-overs', () => {
  it('a step over its runs.stepTimeouts fails the run with that reason, kills the command, and tears down', async () => {
    const sleep = uniqueSleep(30);
    const w = await world({
      recipe: () => [runItem('hang', sleep.command)],
      configure: (c) => {
        c.runs.stepTimeouts['service-update'] = 1_000;
      },
    });
    const engine = w.engine();
    const run = await waitForEnd(engine, (await engine.launch(w.request())).run.id);
    expect(run.state).toBe('failed');
    expect(run.error).toContain('runs.stepTimeouts.service-update');
    expect(await waitUntilGone(sleep.pattern, 3_000)).toEqual([]);
    expect((await w.store.getStep(run.id, 'teardown'))!.state).toBe('succeeded');
    expect(w.live(run.id)).toEqual([]);
  });

  it('a run over runs.timeout is stopped and torn down', async () => {
    const sleep = uniqueSleep(30);
    const w = await world({
      recipe: () => [runItem('hang', sleep.command)],
      configure: (c) => {
        c.runs.timeout = 2_000;
      },
    });
    const engine = w.engine();
    const run = await waitForEnd(engine, (await engine.launch(w.request())).run.id);
    expect(run.state).toBe('failed');
    expect(run.error).toContain('runs.timeout');
    expect(await waitUntilGone(sleep.pattern, 3_000)).toEqual([]);
    expect(w.live(run.id)).toEqual([]);
  });

  it('stop() hands runs in flight to another replica at once, without waiting for the lease to go stale', async () => {
    const sleep = uniqueSleep(30);
    const w = await world({ recipe: () => [runItem('hang', sleep.command)] });
    const a = w.engine();
    const { run } = await a.launch(w.request());
    await remoteRunning(sleep.pattern);
    await a.stop(50);
    expect((await w.store.getRun(run.id))!.leaseOwner).toBeNull();

    const b = w.engine();
    await b.tick();
    const done = await waitForEnd(b, run.id);
    expect(done.state).toBe('failed');
    expect(done.error).toMatch(/interrupted/);
    // stop() gave the lease up, so the adopter no longer knows whose it was.
    const adopted = (await w.timeline(run.id)).filter((e) => e.type === 'run.adopted');
    expect(adopted.map((e) => e.data.action)).toEqual(['teardown']);
    expect(w.live(run.id)).toEqual([]);
    expect(await waitUntilGone(sleep.pattern, 3_000)).toEqual([]);
  });

  it('stop() during a teardown finishes that teardown with its lease; no other replica tears the run down too', async () => {
    let entered!: () => void;
    const inTeardown = new Promise<void>((r) => (entered = r));
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const w = await world();
    const a = w.engine({
      beforeStep: async (_runId, step) => {
        if (step !== 'teardown') return;
        entered();
        await gate;
      },
    });
    const { run } = await a.launch(w.request());
    await inTeardown;
    const stopping = a.stop(20);
    // Past the grace, a replica looks for work while the teardown still waits at its gate.
    await new Promise((r) => setTimeout(r, 100));
    const b = w.engine({ store: await w.database.open() });
    await b.tick();
    expect((await w.store.getRun(run.id))!.leaseOwner).toBe(a.ownerId);
    open();
    await stopping;

    const done = await waitForFinished(w.store, run.id);
    expect(done.state).toBe('succeeded');
    const timeline = await w.timeline(run.id);
    expect(timeline.filter((e) => e.type === 'run.adopted')).toEqual([]);
    expect(timeline.filter((e) => e.type === 'run.finished')).toHaveLength(1);
    expect(w.live(run.id)).toEqual([]);
  });

  it('a cancel that lands on a run that has just become kept tears it down at the next tick', async () => {
    const w = await world();
    const engine = w.engine();
    const kept = await waitForEnd(engine, (await engine.launch(w.request({ keepMs: 3_600_000 }))).run.id);
    expect(kept.state).toBe('kept');
    // What cancel() writes when it read the run as running on another replica.
    await w.store.updateRun(kept.id, { cancelRequestedBy: 'slack:U0LATE' });
    await engine.tick();
    const done = await waitForFinished(w.store, kept.id);
    expect(done.state).toBe('succeeded');
    expect(done.cancelRequestedBy).toBeNull();
    expect(w.live(kept.id)).toEqual([]);
  });

  it('a cancel asked of one replica reaches the replica driving the run at its next heartbeat', async () => {
    const sleep = uniqueSleep(30);
    const w = await world({ recipe: () => [runItem('hang', sleep.command)] });
    const driver = w.engine();
    const other = w.engine({ store: await w.database.open() });
    const { run } = await driver.launch(w.request());
    await remoteRunning(sleep.pattern);

    const asked = await other.cancel(run.id, 'slack:U0ELSEWHERE');
    expect(asked.cancelRequestedBy).toBe('slack:U0ELSEWHERE');
    expect(asked.state).toBe('running');
    const finished = nextEvent(driver, (e) => e.type === 'run.finished' && e.runId === run.id);
    await driver.tick();
    const event = (await finished) as Extract<EngineEvent, { type: 'run.finished' }>;
    expect(event.state).toBe('cancelled');
    const done = await waitForFinished(w.store, run.id);
    expect(done.error).toBe('cancelled by slack:U0ELSEWHERE');
    // Kept on the cancelled run: who cancelled it, for every front to say.
    expect(done.cancelRequestedBy).toBe('slack:U0ELSEWHERE');
    expect(w.live(run.id)).toEqual([]);
    expect(await waitUntilGone(sleep.pattern, 3_000)).toEqual([]);
  });

  it('refuses a launch of an environment the configuration does not have, leaving nothing behind', async () => {
    const w = await world();
    const engine = w.engine();
    await expect(engine.launch(w.request({ env: 'stg9' }))).rejects.toThrow(/stg9/);
    await expect(engine.launch(w.request({ env: null, pool: ['stg1', 'nope'] }))).rejects.toThrow(/nope/);
    expect(await w.store.listRuns({})).toEqual([]);
    expect(await w.store.listLocks()).toEqual([]);
  });
});
