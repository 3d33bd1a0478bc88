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
    expect(done.cancelRequestedBy).toBeNull();
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
