// Crashes and adoption: a run whose engine died anywhere is found by another engine, which tears
// it down (or resumes it) so that nothing it created stays alive.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/pipeline/engine.ts';
import type { EngineEvent } from '../../../src/pipeline/events.ts';
import { stepNames } from '../../../src/pipeline/pipeline.ts';
import { RunAbandoned } from '../../../src/pipeline/run-errors.ts';
import { defaultPipeline } from '../../../src/pipeline/steps/index.ts';
import { ec2Error } from '../../fakes/cloud/index.ts';
import { crashEngine, createWorld, nextEvent, useWorlds, waitForEnd, waitForFinished, type World } from './harness.ts';

const world = useWorlds(createWorld);

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** An engine whose process "dies" when `step` is about to start. */
function crashingEngine(w: World, step: string): { engine: Engine; crashed: Promise<void> } {
  const crash = deferred();
  const engine = w.engine({
    beforeStep: (_runId, name) => {
      if (name !== step) return;
      crash.resolve();
      throw new RunAbandoned(`crash before ${step}`);
    },
  });
  return { engine, crashed: crash.promise };
}


async function adoptedEvents(w: World, runId: string) {
  return (await w.timeline(runId)).filter((e) => e.type === 'run.adopted');
}

async function expectAdoptedAndClean(w: World, runId: string, previousOwner: string): Promise<void> {
  const engine2 = w.engine();
  await engine2.tick();
  const run = await waitForEnd(engine2, runId);
  expect(run.state).toBe('failed');
  expect(run.error).toMatch(/interrupted/);
  expect(w.live(runId)).toEqual([]);
  expect((await w.store.getAssets(runId)).filter((a) => a.deletedAt === null)).toEqual([]);
  const adopted = await adoptedEvents(w, runId);
  expect(adopted).toHaveLength(1);
  expect(adopted[0]!.data).toMatchObject({ previousOwner, action: 'teardown' });
  expect(await w.store.getLock(run.env!)).toBeNull();
  expect((await w.store.getRun(runId))!.leaseOwner).toBeNull();
}

const STEPS = stepNames(defaultPipeline());

describe('recovery after a crash', () => {
  it.each(STEPS)('a crash just before %s leaves nothing alive once another engine adopts the run', async (step) => {
    const w = await world();
    const { engine, crashed } = crashingEngine(w, step);
    const { run } = await engine.launch(w.request());
    await crashed;
    await crashEngine(w, engine, [run.id]);
    const left = await w.store.getRun(run.id);
    expect(['running', 'tearing_down']).toContain(left!.state);
    // Nothing was torn down by the dead engine.
    if (step !== 'prepare-tests' && step !== 'launch') expect(w.live(run.id).some((a) => a.kind === 'instance')).toBe(true);
    await expectAdoptedAndClean(w, run.id, engine.ownerId);
  });

  it('engine.abandon() mid service-update: the adopter tears the run down', async () => {
    const w = await world({ recipe: () => [{ name: 'slow', run: 'sleep 5' }] });
    const engine = w.engine();
    const started = nextEvent(engine, (e) => e.type === 'step.started' && e.step === 'service-update');
    const { run } = await engine.launch(w.request());
    await started;
    await crashEngine(w, engine, [run.id]);
    expect((await w.store.getStep(run.id, 'service-update'))!.state).toBe('running');
    await expectAdoptedAndClean(w, run.id, engine.ownerId);
  });

  it('a crash between RunInstances and recording the instance: teardown finds it by its tags', async () => {
    const w = await world();
    const engine = w.engine();
    const crash = deferred();
    // The call takes effect in AWS; then the process dies before the response is handled.
    w.cloud.failNext('RunInstances', ec2Error('InternalFailure', 'the process died here'), {
      afterApplying: true,
      match: () => {
        engine.abandon();
        crash.resolve();
        return true;
      },
    });
    const { run } = await engine.launch(w.request());
    await crash.promise;
    await crashEngine(w, engine, [run.id]);

    const orphan = w.live(run.id).filter((a) => a.kind === 'instance');
    expect(orphan).toHaveLength(1);
    expect((await w.store.getAssets(run.id)).map((a) => a.id)).not.toContain(orphan[0]!.id);
    await expectAdoptedAndClean(w, run.id, engine.ownerId);
    expect((await w.store.getAssets(run.id)).map((a) => a.id)).toContain(orphan[0]!.id);
  });

  it('an instance tagged with the run that the store never heard of is torn down too', async () => {
    const w = await world();
    const { engine, crashed } = crashingEngine(w, 'register');
    const { run } = await engine.launch(w.request());
    await crashed;
    await crashEngine(w, engine, [run.id]);
    const launched = (await w.store.getAssets(run.id)).find((a) => a.kind === 'instance')!;
    const stray = w.cloud.addInstance({ region: launched.region, tags: w.cloud.tagsOf(launched.id)! });
    expect(w.live(run.id).filter((a) => a.kind === 'instance').map((a) => a.id).sort()).toEqual([launched.id, stray].sort());
    await expectAdoptedAndClean(w, run.id, engine.ownerId);
  });

  it('two engines on one store (Postgres when TEST_DATABASE_URL is set) never both adopt a run', async () => {
    const w = await world({ envs: 4, backend: 'postgres-if-available' });
    const { engine, crashed } = crashingEngine(w, 'register');
    const launched = await Promise.all(w.envs.slice(0, 3).map((e) => engine.launch(w.request({ env: e.name }))));
    const ids = launched.map((l) => l.run.id);
    await crashed;
    // All three reach their crash (each throws before register).
    for (const id of ids) await nextStoredStep(w, id, 'service-update');
    await crashEngine(w, engine, ids);

    const other = await w.database.open();
    const a = w.engine();
    const b = w.engine({ store: other });
    const perEngine = new Map<Engine, EngineEvent[]>([
      [a, []],
      [b, []],
    ]);
    for (const [e, list] of perEngine) e.on((ev) => list.push(ev));

    await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    // While the adopters tear down, more ticks on both sides change nothing.
    await Promise.all([a.tick(), b.tick()]);
    const ended = await Promise.all(ids.map((id) => waitForFinished(w.store, id)));
    await Promise.all([a.flush(), b.flush()]);

    for (const run of ended) {
      expect(run.state).toBe('failed');
      expect(await adoptedEvents(w, run.id)).toHaveLength(1);
      const drivers = [...perEngine.values()].filter((list) => list.some((e) => e.runId === run.id && e.type === 'step.started'));
      expect(drivers, run.id).toHaveLength(1);
      const teardowns = (await w.timeline(run.id)).filter((e) => e.type === 'step.started' && e.data.step === 'teardown');
      expect(teardowns).toHaveLength(1);
      expect(w.live(run.id)).toEqual([]);
    }
    expect(w.database.backend).toBe(process.env['TEST_DATABASE_URL'] ? 'postgres' : 'sqlite');
  });

  it('a replica that ticks while another is starting a run neither adopts it nor starts it twice', async () => {
    const w = await world({ backend: 'postgres-if-available' });
    // Replica A pauses on its way into every lease it takes; B ticks in that moment.
    const paused = deferred();
    const resume = deferred();
    const storeA = {
      ...w.store,
      acquireLease: async (...args: Parameters<typeof w.store.acquireLease>) => {
        paused.resolve();
        await resume.promise;
        return w.store.acquireLease(...args);
      },
    };
    const a = w.engine({ store: storeA });
    const b = w.engine({ store: await w.database.open() });
    const launching = a.launch(w.request());
    await paused.promise;
    await b.tick();
    resume.resolve();
    const { run } = await launching;

    const done = await waitForFinished(w.store, run.id);
    await Promise.all([a.flush(), b.flush()]);
    const timeline = await w.timeline(run.id);
    const count = (type: string, step?: string) => timeline.filter((e) => e.type === type && (step === undefined || e.data.step === step)).length;
    // One comparison, so that a failure shows every fact at once.
    expect({
      state: done.state,
      error: done.error,
      adopted: count('run.adopted'),
      started: count('run.started'),
      launches: count('step.started', 'launch'),
      runInstances: w.cloud.callCount('RunInstances'),
      live: w.live(run.id),
    }).toEqual({ state: 'succeeded', error: null, adopted: 0, started: 1, launches: 1, runInstances: 1, live: [] });
    expect(await w.store.getLock(run.env!)).toBeNull();
  });
});

describe('recovery with onAdopt: resume', () => {
  it('resumes a run that crashed before register from register: no second launch, and it succeeds', async () => {
    const w = await world({
      configure: (c) => {
        c.runs.onAdopt = 'resume';
      },
    });
    const { engine, crashed } = crashingEngine(w, 'register');
    const { run } = await engine.launch(w.request({ browsers: ['chrome', 'firefox'] }));
    await crashed;
    await crashEngine(w, engine, [run.id]);
    expect(w.cloud.callCount('RunInstances')).toBe(1);
    const before = w.eventsOf(run.id, 'step.started').length;

    const engine2 = w.engine();
    await engine2.tick();
    const done = await waitForEnd(engine2, run.id);
    expect(done.state).toBe('succeeded');
    expect(done.error).toBeNull();
    expect(w.cloud.callCount('RunInstances')).toBe(1);
    const adopted = await adoptedEvents(w, run.id);
    expect(adopted).toHaveLength(1);
    expect(adopted[0]!.data).toMatchObject({ action: 'resume', previousOwner: engine.ownerId });
    const resumed = w.eventsOf(run.id, 'step.started').slice(before).map((e) => (e as { step: string }).step);
    expect(resumed).toEqual(['register', 'tests', 'teardown']);
    expect(w.eventsOf(run.id, 'tests.browser')).toHaveLength(2);
    expect(w.live(run.id)).toEqual([]);
  });

  it('tears down instead when the step in flight is not safe to repeat (service-update)', async () => {
    const w = await world({
      recipe: () => [{ name: 'slow', run: 'sleep 5' }],
      configure: (c) => {
        c.runs.onAdopt = 'resume';
      },
    });
    const engine = w.engine();
    const started = nextEvent(engine, (e) => e.type === 'step.started' && e.step === 'service-update');
    const { run } = await engine.launch(w.request());
    await started;
    await crashEngine(w, engine, [run.id]);
    await expectAdoptedAndClean(w, run.id, engine.ownerId);
  });
});

/** Polls until the run's step has finished (bounded). */
async function nextStoredStep(w: World, runId: string, step: string): Promise<void> {
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline) {
    const s = await w.store.getStep(runId, step);
    if (s && s.state !== 'running') return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${step} of ${runId} did not finish`);
}
