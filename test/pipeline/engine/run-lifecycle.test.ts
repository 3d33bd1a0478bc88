// A run through the whole engine: fake AWS, a real sshd as the launched host, a real store.
import { describe, expect, it } from 'vitest';
import { formatTagTime, TAG } from '../../../src/aws/tags.ts';
import { CommandExecutor } from '../../../src/commands/executor.ts';
import { stepNames } from '../../../src/pipeline/pipeline.ts';
import { defaultPipeline } from '../../../src/pipeline/steps/index.ts';
import type { EngineEvent } from '../../../src/pipeline/events.ts';
import { throttle } from '../../fakes/cloud/index.ts';
import { uniqueSleep, waitUntilGone } from '../../support/processes.ts';
import {
  createWorld,
  fakeTestRunner,
  INSTALLATION,
  launchAndWait,
  nextEvent,
  remoteRunning,
  REQUESTER,
  RUN_TAG_KEYS,
  runItem,
  useWorlds,
  waitForEnd,
  type World,
} from './harness.ts';

const world = useWorlds(createWorld);

const STEPS = stepNames(defaultPipeline());
const CHAIN = ['launch', 'open-ssh', 'wait-ssh', 'service-update', 'register', 'tests', 'teardown'];

function types(events: EngineEvent[]): string[] {
  return events.map((e) => (e.type.startsWith('step.') ? `${e.type}:${(e as { step: string }).step}` : e.type));
}

async function expectNothingLeft(w: World, runId: string): Promise<void> {
  expect(w.live(runId)).toEqual([]);
  const assets = await w.store.getAssets(runId);
  expect(assets.length).toBeGreaterThan(0);
  expect(assets.filter((a) => a.deletedAt === null)).toEqual([]);
  expect(await w.store.getLock(w.envs[0]!.name)).toBeNull();
}

describe('engine end to end', () => {
  it('runs a two-browser launch to success: every step in order, every asset tagged at creation and gone, events and cost', async () => {
    const w = await world();
    const engine = w.engine();
    const run = await launchAndWait(engine, w.request({ browsers: ['chrome', 'firefox'] }));

    expect(run.state).toBe('succeeded');
    expect(run.error).toBeNull();

    // Every step succeeded, in the pipeline's order, with a duration.
    const steps = await w.store.getSteps(run.id);
    expect(steps.map((s) => s.name).sort()).toEqual([...STEPS].sort());
    for (const s of steps) {
      expect(s.state, s.name).toBe('succeeded');
      expect(s.finishedAt!.getTime()).toBeGreaterThanOrEqual(s.startedAt!.getTime());
    }
    const byName = new Map(steps.map((s) => [s.name, s]));
    for (let i = 1; i < CHAIN.length; i++) {
      const before = byName.get(CHAIN[i - 1]!)!;
      const after = byName.get(CHAIN[i]!)!;
      expect(after.startedAt!.getTime(), `${CHAIN[i]} after ${CHAIN[i - 1]}`).toBeGreaterThanOrEqual(before.finishedAt!.getTime());
    }
    // prepare-tests ran beside the launch chain, before the tests.
    expect(byName.get('prepare-tests')!.finishedAt!.getTime()).toBeLessThanOrEqual(byName.get('tests')!.startedAt!.getTime());

    // Everything created carried all the tags from its creation, and everything is gone.
    const created = w.cloud.creations;
    expect(new Set(created.map((c) => c.resourceType))).toEqual(new Set(['instance', 'volume', 'network-interface', 'security-group-rule']));
    for (const c of created) {
      for (const key of RUN_TAG_KEYS) expect(c.tags[key], `${c.resourceType} ${c.id} tag ${key}`).toBeTruthy();
      expect(c.tags[TAG.assetId]).toBe(run.id);
      expect(c.tags[TAG.managedBy]).toBe(INSTALLATION);
      expect(c.tags[TAG.env]).toBe(w.envs[0]!.name);
      expect(c.tags[TAG.requestedBy]).toBe(REQUESTER);
      expect(c.tags[TAG.source]).toBe('slack');
      expect(Date.parse(c.tags[TAG.expiresAt]!)).toBeGreaterThan(run.startedAt!.getTime());
    }
    await expectNothingLeft(w, run.id);
    const recorded = await w.store.getAssets(run.id);
    expect(recorded.map((a) => a.kind).sort()).toEqual(['instance', 'network-interface', 'security-group-rule', 'target', 'volume']);

    // The events tell the whole story.
    const events = w.eventsOf(run.id);
    const seen = types(events);
    expect(seen[0]).toBe('run.started');
    expect(seen.at(-1)).toBe('run.finished');
    for (const step of STEPS) {
      expect(seen, step).toContain(`step.started:${step}`);
      expect(seen, step).toContain(`step.finished:${step}`);
    }
    expect(seen.filter((t) => t === 'tests.browser')).toHaveLength(2);
    expect(seen).toContain('teardown.done');
    const browsers = w.eventsOf(run.id, 'tests.browser').map((e) => (e as Extract<EngineEvent, { type: 'tests.browser' }>).result.browser);
    expect(browsers.sort()).toEqual(['chrome', 'firefox']);
    const teardown = w.eventsOf(run.id, 'teardown.done')[0] as Extract<EngineEvent, { type: 'teardown.done' }>;
    expect(teardown.failed).toEqual([]);
    expect(teardown.deleted).toBeGreaterThanOrEqual(3);

    const finished = w.eventsOf(run.id, 'run.finished')[0] as Extract<EngineEvent, { type: 'run.finished' }>;
    expect(finished.state).toBe('succeeded');
    expect(finished.timings.map((t) => t.step)).toEqual(STEPS);
    for (const t of finished.timings) {
      expect(t.state, t.step).toBe('succeeded');
      expect(t.durationMs, t.step).toBeGreaterThanOrEqual(0);
    }
    expect(finished.cost.usd).toBeGreaterThan(0);
    expect(finished.cost.unknown).toEqual([]);
    expect(finished.cost.lines.some((l) => l.what.startsWith('instance '))).toBe(true);
    expect(finished.browsers.map((b) => [b.browser, b.outcome])).toEqual([
      ['chrome', 'passed'],
      ['firefox', 'passed'],
    ]);

    // The store's timeline has the same story, in order.
    const timeline = await w.timeline(run.id);
    expect(timeline.map((e) => e.type)).toEqual(events.map((e) => e.type));
    // The lease is given back.
    expect((await w.store.getRun(run.id))!.leaseOwner).toBeNull();
  });

  it('fails a run whose recipe item exits 3: the error names the item, the tail is reported, teardown runs, register and tests never start', async () => {
    const w = await world({
      recipe: () => [runItem('say hello', 'echo hello'), runItem('migrate the database', 'echo "migration 42 broke" >&2; exit 3')],
    });
    const engine = w.engine();
    const run = await launchAndWait(engine, w.request({ browsers: ['chrome', 'firefox'] }));

    expect(run.state).toBe('failed');
    expect(run.error).toContain('migrate the database');
    expect(run.error).toContain('exit code 3');
    const failed = w.eventsOf(run.id, 'step.failed') as Extract<EngineEvent, { type: 'step.failed' }>[];
    expect(failed.map((e) => e.step)).toEqual(['service-update']);
    expect(failed[0]!.error).toContain('migrate the database');
    expect(failed[0]!.tail).toContain('migration 42 broke');

    const started = w.eventsOf(run.id, 'step.started').map((e) => (e as { step: string }).step);
    expect(started).not.toContain('register');
    expect(started).not.toContain('tests');
    expect(started).toContain('teardown');
    expect(await w.store.getStep(run.id, 'register')).toBeNull();
    expect((fakeRunnerJobs(w)).length).toBe(0);
    await expectNothingLeft(w, run.id);
    const finished = w.eventsOf(run.id, 'run.finished')[0] as Extract<EngineEvent, { type: 'run.finished' }>;
    expect(finished.timings.find((t) => t.step === 'register')!.state).toBe('pending');
    expect(finished.timings.find((t) => t.step === 'service-update')!.state).toBe('failed');
  });

  it('fails a run whose firefox has 2 failing tests: both browsers reported, teardown ran', async () => {
    const runner = fakeTestRunner({
      results: {
        firefox: { outcome: 'failed', passed: 10, failed: 2, failingTests: ['login.spec.ts › logs in', 'cart.spec.ts › checks out'] },
      },
    });
    const w = await world({ testRunner: runner });
    const engine = w.engine();
    const run = await launchAndWait(engine, w.request({ browsers: ['chrome', 'firefox'] }));

    expect(run.state).toBe('failed');
    expect(run.error).toContain('firefox (2 failed)');
    expect(run.error).not.toContain('chrome');
    const results = w.eventsOf(run.id, 'tests.browser').map((e) => (e as Extract<EngineEvent, { type: 'tests.browser' }>).result);
    expect(results.map((r) => [r.browser, r.outcome, r.failed]).sort()).toEqual([
      ['chrome', 'passed', 0],
      ['firefox', 'failed', 2],
    ]);
    const finished = w.eventsOf(run.id, 'run.finished')[0] as Extract<EngineEvent, { type: 'run.finished' }>;
    expect(finished.browsers.find((b) => b.browser === 'firefox')!.failingTests).toHaveLength(2);
    // The tests step itself ran to its end: the run failed on its result, not on an error.
    expect((await w.store.getStep(run.id, 'tests'))!.state).toBe('succeeded');
    expect((await w.store.getStep(run.id, 'teardown'))!.state).toBe('succeeded');
    expect(runner.jobs.map((j) => j.browser).sort()).toEqual(['chrome', 'firefox']);
    await expectNothingLeft(w, run.id);
  });

  it('cancels mid service-update: the remote command is killed, teardown runs, the run and the step end cancelled (not failed), saying who and why', async () => {
    const sleep = uniqueSleep(30);
    const w = await world({ recipe: () => [runItem('say hello', 'echo hello'), runItem('a slow migration', sleep.command)] });
    const engine = w.engine();
    const started = nextEvent(engine, (e) => e.type === 'step.started' && e.step === 'service-update');
    const { run } = await engine.launch(w.request());
    await started;
    // ~300 ms into the step, and surely once the remote sleep runs (so its kill is what we see below).
    await Promise.all([new Promise((r) => setTimeout(r, 300)), remoteRunning(sleep.pattern)]);
    await engine.cancel(run.id, 'slack:U0CANCELS', 'wrong branch');
    // The recipe's sleep lasts 30 s: a run that ends at all within the bound was cut short by the cancel.
    const ended = await waitForEnd(engine, run.id, 20_000);

    expect(ended.state).toBe('cancelled');
    expect(ended.error).toBe('cancelled by slack:U0CANCELS (wrong branch)');
    expect(await waitUntilGone(sleep.pattern, 3_000)).toEqual([]);
    expect(w.eventsOf(run.id, 'run.cancel-requested')).toMatchObject([{ by: 'slack:U0CANCELS', reason: 'wrong branch' }]);
    // The step the cancel stopped is recorded cancelled, with its own event; nothing reads as a failure.
    expect((await w.store.getStep(run.id, 'service-update'))!.state).toBe('cancelled');
    expect(w.eventsOf(run.id, 'step.cancelled')).toMatchObject([{ step: 'service-update', by: 'slack:U0CANCELS', reason: 'wrong branch' }]);
    expect(w.eventsOf(run.id, 'step.failed')).toEqual([]);
    const view = await new CommandExecutor({ engine, store: w.store }).view(run.id);
    expect(view.cancelled).toEqual({ by: 'slack:U0CANCELS', reason: 'wrong branch' });
    expect(view.stepErrors).toEqual([]);
    expect(view.timings.find((t) => t.step === 'service-update')?.state).toBe('cancelled');
    expect(await w.store.getStep(run.id, 'register')).toBeNull();
    expect((await w.store.getStep(run.id, 'teardown'))!.state).toBe('succeeded');
    await expectNothingLeft(w, run.id);
  });

  it('keeps a --keep run until its TTL: tags follow keep and extend, and the tick after expiry tears it down', async () => {
    const w = await world();
    const engine = w.engine();
    const keepMs = 2 * 3_600_000;
    const kept = await launchAndWait(engine, w.request({ keepMs }));

    expect(kept.state).toBe('kept');
    expect(kept.expiresAt).not.toBeNull();
    expect(kept.expiresAt!.getTime()).toBeGreaterThan(w.clock.now().getTime() + keepMs - 60_000);
    const live = w.live(kept.id);
    expect(live.map((a) => a.kind).sort()).toEqual(['instance', 'network-interface', 'security-group-rule', 'target', 'volume']);
    const tagged = live.filter((a) => a.kind !== 'target');
    for (const a of tagged) expect(w.cloud.tagsOf(a.id)![TAG.expiresAt], `${a.kind} ${a.id}`).toBe(formatTagTime(kept.expiresAt!));
    expect(w.eventsOf(kept.id, 'run.kept')).toHaveLength(1);
    expect((await w.store.getLock(w.envs[0]!.name))?.holder).toBe(kept.id);
    // A tick before the time is up leaves it alone.
    await engine.tick();
    expect((await w.store.getRun(kept.id))!.state).toBe('kept');

    const extended = await engine.extend(kept.id, 3_600_000, REQUESTER);
    expect(extended.expiresAt!.getTime()).toBe(kept.expiresAt!.getTime() + 3_600_000);
    for (const a of tagged) expect(w.cloud.tagsOf(a.id)![TAG.expiresAt], `${a.kind} ${a.id}`).toBe(formatTagTime(extended.expiresAt!));

    // Past the first expiry but not the extended one: still kept.
    w.clock.advance(keepMs + 60_000);
    await engine.tick();
    expect((await w.store.getRun(kept.id))!.state).toBe('kept');

    w.clock.advance(3_600_000);
    await engine.tick();
    const done = await waitForEnd(engine, kept.id);
    expect(done.state).toBe('succeeded');
    expect(w.eventsOf(kept.id, 'run.adopted')).toEqual([]);
    await expectNothingLeft(w, kept.id);
  });

  it('rides out throttling on RunInstances, DescribeInstances and TerminateInstances', async () => {
    const w = await world();
    w.cloud.failNext('RunInstances', throttle('ec2'), { times: 3 });
    w.cloud.failNext('DescribeInstances', throttle('ec2'), { times: 4 });
    w.cloud.failNext('TerminateInstances', throttle('ec2'), { times: 3 });
    const engine = w.engine();
    const run = await launchAndWait(engine, w.request());

    expect(run.state).toBe('succeeded');
    expect(w.cloud.faults.pending()).toBe(0);
    // One instance, whatever the retries: the ClientToken made them idempotent.
    expect(w.cloud.creations.filter((c) => c.resourceType === 'instance')).toHaveLength(1);
    expect(w.cloud.callCount('RunInstances')).toBe(4);
    await expectNothingLeft(w, run.id);
  });
});

function fakeRunnerJobs(w: World): unknown[] {
  return (w.testRunner as { jobs?: unknown[] }).jobs ?? [];
}

