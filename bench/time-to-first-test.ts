// `node bench/time-to-first-test.ts`: simulated time from a `launch` command to its first test, on a
// virtual clock (it takes seconds). The engine is the real one (queue, lock, lease, step records,
// events, the account check against the in-memory fake cloud, on a SQLite file); each step of the
// default pipeline waits on the virtual clock for what the latency model below says AWS and the host
// take. The figure is read from the store's step records: the tests step's start minus the run's
// creation, in simulated time.
//
// Latency model (cold path), from AWS's documentation and published figures:
// - RunInstances until `running`: 50 s (EBS-backed Linux instances typically take 40–60 s).
// - open-ssh: one AuthorizeSecurityGroupIngress call, 1 s.
// - wait-ssh: sshd answers 30 s after `running` (cloud-init and sshd on first boot).
// - arm-switch: one SSH command, 1 s.
// - service-update, full recipe: 25 min (the issue's 20–40 min, as configured), plus 3 min of
//   first-touch reads: a volume restored from a snapshot loads its blocks from S3 on first read
//   ("the first time each block is accessed ... significant increase in latency"), here ~10 GB
//   of the 200 GB read by the update at ~60 MB/s.
// - register: the ALB's defaults, health check interval 30 s x healthy threshold 5 = 150 s until the
//   new target is healthy. stagebot deregisters the old targets first; their deregistration delay
//   (default 300 s) drains them in the background and does not hold up the new target.
// - prepare-tests: cached (design.md: skipped when cached), so it adds nothing beside the launch.
// The warm path (a prepared, stopped pool member: StartInstances 10–20 s, ALB health, warm recipe)
// needs the warm pool of issue 14, which this build does not have: its figures are not printed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { EXAMPLE_CONFIG_PATH, parseConfig } from '../src/config/index.ts';
import { formatUsd } from '../src/cost/estimate.ts';
import { poolStandingCost } from '../src/cost/pool-cost.ts';
import { createPrices } from '../src/cost/prices.ts';
import type { Clock } from '../src/domain/clock.ts';
import { formatDuration } from '../src/domain/duration.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { Engine } from '../src/pipeline/engine.ts';
import type { Pipeline } from '../src/pipeline/pipeline.ts';
import type { PipelineStep, StepResult } from '../src/pipeline/run-context.ts';
import type { StepName } from '../src/pipeline/step-outputs.ts';
import type { BrowserJob, BrowserResult, TestRunner } from '../src/pipeline/test-runners/types.ts';
import { openStore } from '../src/store/index.ts';
import { createFakeAwsClients, FakeCloud } from '../test/fakes/cloud/index.ts';
import { benchConfig } from './config.ts';

const S = 1_000;
const MIN = 60 * S;

/** Simulated duration of each step on the cold path (see the model above). */
export const COLD_MODEL_MS: Record<string, number> = {
  'prepare-tests': 0,
  launch: 50 * S,
  'open-ssh': 1 * S,
  'wait-ssh': 30 * S,
  'arm-switch': 1 * S,
  'service-update': 25 * MIN + 3 * MIN,
  register: 30 * S * 5,
  tests: 10 * MIN,
  teardown: 2 * MIN,
};

const GUARD_MS = 60_000;
const guard = setTimeout(() => {
  process.stderr.write(`bench/time-to-first-test.ts: gave up after ${GUARD_MS / 1000} s\n`);
  process.exit(1);
}, GUARD_MS);
guard.unref();

/** Time that passes only when something sleeps on it: one step waits at a time (prepare-tests is cached). */
function virtualClock(start: Date): Clock & { elapsedMs(): number } {
  let offset = 0;
  return {
    now: () => new Date(start.getTime() + offset),
    elapsedMs: () => offset,
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      offset += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
}

function modelled(name: StepName, ms: number): PipelineStep {
  return {
    name,
    safeToRepeat: true,
    run: async (ctx): Promise<StepResult> => {
      if (ms > 0) await ctx.clock.sleep(ms, ctx.signal);
      return { outputs: {} };
    },
  };
}

function modelPipeline(model: Record<string, number>): Pipeline {
  const step = (n: StepName) => modelled(n, model[n] ?? 0);
  return {
    parallel: [step('prepare-tests')],
    chain: (['launch', 'open-ssh', 'wait-ssh', 'arm-switch', 'service-update', 'register'] as const).map(step),
    after: [step('tests')],
    teardown: { name: 'teardown', safeToRepeat: true, run: async () => ({ outputs: { deleted: 0, alreadyGone: 0, failed: [] } }) },
  };
}

const passingRunner: TestRunner = {
  async run(job: BrowserJob): Promise<BrowserResult> {
    return { browser: job.browser, outcome: 'passed', passed: 1, failed: 0, flaky: 0, skipped: 0, failingTests: [], durationMs: 1, reportUrl: null, detail: null };
  },
};

async function commandToFirstTest(model: Record<string, number>): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'stagebot-bench-ttft-'));
  const store = await openStore({ sqlitePath: join(dir, 'bench.db') });
  try {
    const clock = virtualClock(new Date('2026-12-04T09:00:00Z'));
    const engine = new Engine({
      config: benchConfig({ browsers: { chrome: {} } }),
      store,
      aws: createFakeAwsClients(new FakeCloud({ latencyMs: 0 })),
      logger: silentLogger(),
      testRunner: passingRunner,
      pipeline: modelPipeline(model),
      clock,
    });
    const { run } = await engine.launch({ env: 'stg1', browsers: ['chrome'], keepMs: null, ref: null, requester: 'cli:bench', source: 'cli' });
    const done = await engine.waitForRun(run.id);
    if (done.state !== 'succeeded') throw new Error(`bench run ${run.id} ended ${done.state}: ${done.error}`);
    const tests = await store.getStep(run.id, 'tests');
    if (!tests?.startedAt) throw new Error('the tests step never started');
    await engine.stop(0);
    return tests.startedAt.getTime() - run.createdAt.getTime();
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// The pool's standing cost is arithmetic over prices, so it is real before the pool is: stg1 of the
// example config (t3.2xlarge, 200 GB gp3, us-east-1) with two members, at the bundled prices.
function standingCostRows(): [string, string][] {
  const example = parseConfig(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'), {}, 'stagebot.example.yml');
  const stg1 = example.environments['stg1'];
  if (!stg1) throw new Error('the example config has no stg1');
  const prices = createPrices();
  const workHours = [{ from: 7, to: 19, days: [1, 2, 3, 4, 5] }];
  const stopped = poolStandingCost(prices, { ...stg1, warmPool: { size: 2, mode: 'stopped' } });
  const running = poolStandingCost(prices, { ...stg1, warmPool: { size: 2, mode: 'running', hours: workHours } });
  return [
    ['pool standing cost per day, stg1, 2 stopped', `${formatUsd(stopped.perDayUsd)} (EBS only, 24/7)`],
    ['pool standing cost per day, stg1, 2 running', `${formatUsd(running.perDayUsd)} (hours 7-19 Mon-Fri, averaged over the week)`],
  ];
}

const cold = await commandToFirstTest(COLD_MODEL_MS);
const rows: [string, string][] = [
  ['cold: command to first test (simulated)', `${formatDuration(cold)} (${(cold / 1000).toFixed(0)} s)`],
  ['warm: command to first test (simulated)', 'not available: the warm pool (issue 14 part 3) is not built'],
  ['warm/cold ratio (target <= 0.15)', 'not available: no warm path'],
  ['time to refill one pool member', 'not available: no warm pool'],
  ...standingCostRows(),
];
const width = Math.max(...rows.map(([k]) => k.length));
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
process.stdout.write(`model (cold, per step): ${Object.entries(COLD_MODEL_MS).map(([k, v]) => `${k} ${formatDuration(v || 0)}`).join(', ')}\n`);
