// `node bench/engine.ts`: (a) what the engine itself costs per run — queue, lock, lease, step records,
// events, summary, on a SQLite file — with steps that do nothing and a zero-latency fake cloud; (b) how
// parallel the tests step really is: N browsers that each take ~300 ms should take ~300 ms together.
// Bounded (fixed run counts, a 30 s guard) and stops by itself.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../src/config/index.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { Engine, type LaunchRequest } from '../src/pipeline/engine.ts';
import type { Pipeline } from '../src/pipeline/pipeline.ts';
import type { PipelineStep, StepResult } from '../src/pipeline/run-context.ts';
import type { StepName } from '../src/pipeline/step-outputs.ts';
import { testsStep } from '../src/pipeline/steps/tests.ts';
import type { BrowserJob, BrowserResult, RunOptions, TestRunner } from '../src/pipeline/test-runners/types.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { createFakeAwsClients, FakeCloud } from '../test/fakes/cloud/index.ts';
import { benchConfig } from './config.ts';

const OVERHEAD_RUNS = 200;
const WARMUP_RUNS = 10;
const BROWSERS = ['chrome', 'firefox', 'safari', 'edge'];
const BROWSER_MS = 300;
const JITTER_MS = 30;
const PARALLEL_ROUNDS = 5;
const GUARD_MS = 30_000;

const guard = setTimeout(() => {
  process.stderr.write(`bench/engine.ts: gave up after ${GUARD_MS / 1000} s\n`);
  process.exit(1);
}, GUARD_MS);
guard.unref();

const config = (): Config => benchConfig({ browsers: Object.fromEntries(BROWSERS.map((b) => [b, {}])) });

const noop = (name: StepName): PipelineStep => ({ name, safeToRepeat: true, run: async (): Promise<StepResult> => ({ outputs: {} }) });

/** The default pipeline's shape with steps that return at once (teardown reports nothing to delete). */
function instantPipeline(tests: PipelineStep = noop('tests')): Pipeline {
  return {
    parallel: [noop('prepare-tests')],
    chain: (['launch', 'open-ssh', 'wait-ssh', 'service-update', 'register'] as const).map(noop),
    after: [tests],
    teardown: { name: 'teardown', safeToRepeat: true, run: async () => ({ outputs: { deleted: 0, alreadyGone: 0, failed: [] } }) },
  };
}

/** Each browser takes BROWSER_MS ± JITTER_MS of real time. */
const sleepyRunner: TestRunner = {
  async run(job: BrowserJob, opts: RunOptions): Promise<BrowserResult> {
    const started = performance.now();
    await delay(BROWSER_MS + (Math.random() * 2 - 1) * JITTER_MS, undefined, { signal: opts.signal });
    return {
      browser: job.browser, outcome: 'passed', passed: 1, failed: 0, flaky: 0, skipped: 0, failingTests: [],
      durationMs: performance.now() - started, reportUrl: null, detail: null,
    };
  },
};

function engineFor(store: Store, pipeline: Pipeline, testRunner: TestRunner = sleepyRunner): Engine {
  const cloud = new FakeCloud({ latencyMs: 0 });
  return new Engine({ config: config(), store, aws: createFakeAwsClients(cloud), logger: silentLogger(), testRunner, pipeline });
}

function request(browsers: string[]): LaunchRequest {
  return { env: 'stg1', browsers, keepMs: null, ref: null, requester: 'cli:bench', source: 'cli' };
}

async function runOnce(engine: Engine, browsers: string[]): Promise<void> {
  const { run } = await engine.launch(request(browsers));
  const done = await engine.waitForRun(run.id);
  if (done.state !== 'succeeded') throw new Error(`bench run ${run.id} ended ${done.state}: ${done.error}`);
}

async function overhead(store: Store): Promise<number> {
  const engine = engineFor(store, instantPipeline());
  for (let i = 0; i < WARMUP_RUNS; i++) await runOnce(engine, ['chrome']);
  const started = performance.now();
  for (let i = 0; i < OVERHEAD_RUNS; i++) await runOnce(engine, ['chrome']);
  const perRun = (performance.now() - started) / OVERHEAD_RUNS;
  await engine.stop(0);
  return perRun;
}

/** Wall time of the tests step over its slowest browser, for each round. */
async function parallelism(store: Store): Promise<{ wall: number; slowest: number }[]> {
  const engine = engineFor(store, instantPipeline(testsStep));
  const rounds: { wall: number; slowest: number }[] = [];
  for (let i = 0; i < PARALLEL_ROUNDS; i++) {
    let startedAt = 0;
    let wall = 0;
    const off = engine.on((e) => {
      if (e.type === 'step.started' && e.step === 'tests') startedAt = performance.now();
      if (e.type === 'step.finished' && e.step === 'tests') wall = performance.now() - startedAt;
    });
    const { run } = await engine.launch(request(BROWSERS));
    const done = await engine.waitForRun(run.id);
    off();
    if (done.state !== 'succeeded') throw new Error(`bench run ${run.id} ended ${done.state}: ${done.error}`);
    const { browsers } = await engine.summarize(done);
    rounds.push({ wall, slowest: Math.max(...browsers.map((b) => b.durationMs)) });
  }
  await engine.stop(0);
  return rounds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = await mkdtemp(join(tmpdir(), 'stagebot-bench-engine-'));
try {
  const store = await openStore({ sqlitePath: join(dir, 'bench.db') });
  try {
    const perRun = await overhead(store);
    console.log(`engine overhead: ${perRun.toFixed(1)} ms/run (${OVERHEAD_RUNS} runs of 8 instant steps, sqlite file)`);
    const rounds = await parallelism(store);
    const wall = median(rounds.map((r) => r.wall));
    const slowest = median(rounds.map((r) => r.slowest));
    const ratio = median(rounds.map((r) => r.wall / r.slowest));
    console.log(
      `tests parallelism: ${BROWSERS.length} browsers in ${wall.toFixed(0)} ms, slowest browser ${slowest.toFixed(0)} ms -> ${ratio.toFixed(2)}x ` +
        `(1.00 = fully parallel, ${BROWSERS.length}.00 = serial; median of ${PARALLEL_ROUNDS})`,
    );
  } finally {
    await store.close();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
