// Where a queued run stands (issue 9.1): its place and an estimate from the environment's recent runs
// (issue 14: step by step, from the p50 of each step, so a run half-way through counts what it has left).
import { expect, it } from 'vitest';
import { createWorld, fakeTestRunner, launchAndWait, useWorlds, waitForEnd, waitForState } from './harness.ts';

const world = useWorlds(createWorld);

it('a run queued behind a running one gets its place and an estimate from the recent runs of its environment', async () => {
  const w = await world();
  const quick = w.engine();
  const first = await launchAndWait(quick, w.request());
  expect(first.state).toBe('succeeded');
  const took = async (runId: string, step: string) => {
    const s = (await w.store.getStep(runId, step))!;
    return s.finishedAt!.getTime() - s.startedAt!.getTime();
  };
  const [testsP50, teardownP50] = [await took(first.id, 'tests'), await took(first.id, 'teardown')];

  const slow = w.engine({ testRunner: fakeTestRunner({ ms: 30_000 }) });
  const { run: running } = await slow.launch(w.request());
  await waitForState(w.store, running.id, ['running']);
  // Its steps' waits move the clock; the tests step does not.
  for (let i = 0; i < 1_000 && (await w.store.getStep(running.id, 'tests'))?.state !== 'running'; i++) await new Promise((r) => setTimeout(r, 10));
  const { run: queued, position } = await slow.launch(w.request());
  expect(position).toBe(1);
  const before = w.clock.now().getTime();
  const status = await slow.queueStatus(queued.id);
  // The running one is in its tests: what is left of them (by the first run's), then its teardown. The
  // clock may tick while the status is read: the estimate lies between the two readings' figures.
  const testsStarted = (await w.store.getStep(running.id, 'tests'))!.startedAt!.getTime();
  const etaAt = (now: number) => Math.max(0, testsP50 - (now - testsStarted)) + teardownP50;
  expect(status).toMatchObject({ position: 1, heldBy: null });
  expect(status!.etaMs).toBeLessThanOrEqual(etaAt(before));
  expect(status!.etaMs).toBeGreaterThanOrEqual(etaAt(w.clock.now().getTime()));
  await slow.cancel(queued.id, 'slack:U1');
  expect(await slow.queueStatus(queued.id)).toBeNull();
  await slow.cancel(running.id, 'slack:U1');
});

it('behind a person’s lock: no estimate, and who holds it', async () => {
  const w = await world();
  await w.store.claimLock({ env: 'stg1', holder: 'slack:U0CAROL', holderKind: 'person', reason: 'demo', sticky: true, since: w.clock.now() });
  const engine = w.engine();
  const { run } = await engine.launch(w.request());
  expect(await engine.queueStatus(run.id)).toEqual({ position: 1, etaMs: null, heldBy: 'slack:U0CAROL (demo)' });
});

it('an older run waiting in a CLI’s foreground keeps its environment from a younger run a server would start', async () => {
  const w = await world();
  await w.store.claimLock({ env: 'stg1', holder: 'slack:U0CAROL', holderKind: 'person', reason: 'demo', sticky: true, since: w.clock.now() });
  const cli = w.engine({ background: false });
  const server = w.engine();
  const { run: older } = await cli.launch({ ...w.request(), requester: 'cli:bob', source: 'cli' });
  w.clock.advance(1_000);
  const { run: younger } = await server.launch(w.request());
  await w.store.releaseLock('stg1', 'slack:U0CAROL');
  await server.tick();
  expect((await w.store.getRun(younger.id))?.state).toBe('queued');
  expect((await w.store.getRun(older.id))?.state).toBe('queued');
  // The CLI starts its own (waitForRun pumps it); the younger one follows when it is done.
  expect((await waitForEnd(cli, older.id)).state).toBe('succeeded');
  await server.tick();
  expect((await waitForEnd(server, younger.id)).state).toBe('succeeded');
});
