// A RunContext for step tests, wired the way the engine wires one (src/pipeline/run-driver.ts) but
// over a FakeCloud, an in-memory store and fake time. Usage:
//
//   const t = await createTestRun();                    // stg1 of stagebot.example.yml, seeded in a fresh FakeCloud
//   const launch = await t.runStep(launchStep);         // through the real step runner (timeouts, step records, events)
//   const out = await openSshStep.run(t.context());     // or call a step directly
//   expect(t.cloud.liveAssetsTaggedWith(t.runId)).toEqual([]);
//   expect(t.eventsOf('asset.created')).toHaveLength(3);
//   await t.close();
//
// - Time: `t.clock.now()` is the fake cloud's clock; `t.clock.sleep(ms)` moves it forward at once (and yields
//   to the event loop, so real timers such as a step timeout still fire). `t.clock.sleeps` lists every sleep;
//   `t.clock.onSleep` runs before each one (e.g. to abort a signal after N polls).
// - Outputs of earlier steps: `t.outputs.set('launch', {...})`, or run the earlier step with `t.runStep`.
// - Several runs in one world: pass `cloud` (and `store`) of the first to the next createTestRun.
// - Environments: `envName` picks one of stagebot.example.yml (stg1, stg2: us-east-1 with ephemeral keys;
//   stg3, stg4: eu-west-1 with the named key pair `staging-eu`); `env` overrides fields of it;
//   `configure` edits the whole parsed Config (runs.stepTimeouts...).
import { readFileSync } from 'node:fs';
import type { AwsClients } from '../../../src/aws/clients.ts';
import { runTags } from '../../../src/aws/tags.ts';
import { parseConfig, type Config, type EnvironmentConfig } from '../../../src/config/index.ts';
import type { AssetKind } from '../../../src/domain/asset.ts';
import type { Clock } from '../../../src/domain/clock.ts';
import { newRunId } from '../../../src/domain/run-id.ts';
import type { Requester, Run, Source } from '../../../src/domain/run.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import type { RunEventBody } from '../../../src/pipeline/events.ts';
import type { PipelineStep, RunContext, StepOutputs, StepResult } from '../../../src/pipeline/run-context.ts';
import { runRecords } from '../../../src/pipeline/run-records.ts';
import { poolRecords } from '../../../src/pipeline/pool-records.ts';
import type { RunKind } from '../../../src/domain/run.ts';
import type { StepName, StepOutputsByName } from '../../../src/pipeline/step-outputs.ts';
import { runStep } from '../../../src/pipeline/step-runner.ts';
import type { TestRunner } from '../../../src/pipeline/test-runners/types.ts';
import { openStore, type Store } from '../../../src/store/index.ts';
import { FakeCloud, createFakeAwsClients, type FakeAwsClientOptions, type FakeCloudOptions } from '../../fakes/cloud/index.ts';

const EXAMPLE_CONFIG = new URL('../../../stagebot.example.yml', import.meta.url);

export interface TestRunOptions {
  /** Share one world between runs; default a new FakeCloud (with `cloudOptions`). */
  cloud?: FakeCloud;
  cloudOptions?: FakeCloudOptions;
  awsOptions?: FakeAwsClientOptions;
  /** Share one store between runs; default a new in-memory SQLite store (closed by `close`). */
  store?: Store;
  /** An environment of stagebot.example.yml. Default stg1. */
  envName?: string;
  /** Fields of that environment to replace. */
  env?: Partial<Omit<EnvironmentConfig, 'name'>>;
  /** Edits the parsed config (after `env` was applied). */
  configure?: (config: Config) => void;
  /** Default a fresh run id for the environment, dated by the fake clock. */
  runId?: string;
  requester?: Requester;
  source?: Source;
  /** Put the environment's AMI, subnets, security group, target group and named key pair into the cloud. Default true. */
  seed?: boolean;
  testRunner?: TestRunner;
  /** The run's kind (default launch); a replenish run's env is `pool:<env>:<id>` as the pool keeper makes it. */
  kind?: RunKind;
  /** Options of the run (default browsers chrome). */
  runOptions?: Partial<Run['options']>;
  /** STAGEBOT_HANDOVER_KEY as the engine would have it (seals a pool member's key). */
  handoverKey?: string | null;
}

export interface TestClock extends Clock {
  /** Every sleep asked for, in ms, in order. */
  readonly sleeps: number[];
  /** Runs before each sleep (after it was recorded). */
  onSleep: ((ms: number, count: number) => void) | null;
}

export interface TestRun {
  cloud: FakeCloud;
  aws: AwsClients;
  store: Store;
  config: Config;
  env: EnvironmentConfig;
  run: Run;
  runId: string;
  clock: TestClock;
  /** Every event the steps emitted, in order (as the engine would publish them). */
  events: RunEventBody[];
  /** Lines steps logged through ctx.log. */
  logs: { step: string; line: string }[];
  /** The run's in-process secrets (ctx.secrets). */
  secrets: Map<string, string>;
  /** Outputs of finished steps, as ctx.outputOf sees them. */
  outputs: Map<string, StepOutputs>;
  /** A context for calling `step.run` directly. */
  context(opts?: { signal?: AbortSignal }): RunContext;
  /** Runs the step through the real step runner (step record, events, timeout from runs.stepTimeouts) and keeps its outputs. */
  runStep(step: PipelineStep, opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<StepResult>;
  eventsOf<T extends RunEventBody['type']>(type: T): Extract<RunEventBody, { type: T }>[];
  close(): Promise<void>;
}

/** The example config, parsed without the process environment (so `${VAR:-default}` takes its default). */
export function exampleConfig(): Config {
  return parseConfig(readFileSync(EXAMPLE_CONFIG, 'utf8'), {}, 'stagebot.example.yml');
}

function targetGroupName(arn: string): string {
  return arn.split(':').pop()?.split('/')[1] ?? 'tg';
}

/** Puts what an environment's launch expects into the cloud, with the ids the config names; idempotent. */
export function seedEnvironment(cloud: FakeCloud, env: EnvironmentConfig): void {
  const region = env.region;
  for (const subnetId of env.subnets) if (!cloud.find(subnetId)) cloud.addSubnet({ region, subnetId });
  if (!cloud.find(env.securityGroup)) cloud.addSecurityGroup({ region, groupId: env.securityGroup, name: `${env.name}-sg` });
  if (!cloud.find(env.ami)) cloud.addImage({ region, imageId: env.ami, name: `${env.name}-base` });
  if (!cloud.region(region).targetGroups.has(env.targetGroupArn)) {
    cloud.addTargetGroup({ region, arn: env.targetGroupArn, name: targetGroupName(env.targetGroupArn) });
  }
  const named = env.keyPair !== 'ephemeral';
  if (named && ![...cloud.region(region).keyPairs.values()].some((k) => k.deletedAt === null && k.keyName === env.keyPair)) {
    cloud.addKeyPair({ region, keyName: env.keyPair });
  }
}

function makeClock(cloud: FakeCloud): TestClock {
  const clock: TestClock = {
    sleeps: [],
    onSleep: null,
    now: () => cloud.clock.now(),
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      clock.sleeps.push(ms);
      clock.onSleep?.(ms, clock.sleeps.length);
      signal?.throwIfAborted();
      cloud.clock.advance(ms);
      // Let real timers (a step timeout) and aborts in; a loop of instant sleeps would starve them.
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    },
  };
  return clock;
}

const idleRunner: TestRunner = {
  async run(job) {
    return { browser: job.browser, outcome: 'error', passed: 0, failed: 0, flaky: 0, skipped: 0, failingTests: [], durationMs: 0, reportUrl: null, detail: 'no test runner in this test' };
  },
};

export async function createTestRun(opts: TestRunOptions = {}): Promise<TestRun> {
  const cloud = opts.cloud ?? new FakeCloud(opts.cloudOptions);
  const aws = createFakeAwsClients(cloud, opts.awsOptions);
  const ownStore = opts.store === undefined;
  const store = opts.store ?? (await openStore({ sqlitePath: ':memory:' }));
  const config = exampleConfig();
  const envName = opts.envName ?? 'stg1';
  const base = config.environments[envName];
  if (!base) throw new Error(`createTestRun: stagebot.example.yml has no environment ${envName}`);
  config.environments[envName] = { ...base, ...opts.env, name: envName };
  opts.configure?.(config);
  const env = config.environments[envName]!;
  if (opts.seed ?? true) seedEnvironment(cloud, env);

  const clock = makeClock(cloud);
  const now = clock.now();
  const runId = opts.runId ?? newRunId(envName, now);
  const kind = opts.kind ?? 'launch';
  await store.createRun({
    id: runId,
    kind,
    env: kind === 'replenish' ? `pool:${envName}:${runId}` : envName,
    requester: opts.requester ?? 'cli:tester',
    source: opts.source ?? 'cli',
    createdAt: now,
    options: { browsers: ['chrome'], ...opts.runOptions },
  });
  const expiresAt = new Date(now.getTime() + config.runs.timeout);
  await store.transitionRun(runId, ['queued'], 'running', { startedAt: now, expiresAt });
  const run = (await store.getRun(runId))!;

  const events: RunEventBody[] = [];
  const logs: { step: string; line: string }[] = [];
  const secrets = new Map<string, string>();
  const outputs = new Map<string, StepOutputs>();
  const logger = silentLogger();

  // As RunDriver.context: assets go to the store and announce themselves once.
  const record = async (kind: AssetKind, id: string, deleted: boolean) => {
    const at = clock.now();
    if (deleted) {
      if ((await store.markAssetDeleted(kind, id, at)) > 0) events.push({ type: 'asset.deleted', kind, id, region: env.region });
    } else if (await store.recordAsset({ runId, kind, id, region: env.region, createdAt: at, deletedAt: null })) {
      events.push({ type: 'asset.created', kind, id, region: env.region });
    }
  };

  const context = (o: { signal?: AbortSignal } = {}): RunContext => ({
    run,
    env,
    config,
    aws,
    records: runRecords(store, runId, clock, poolRecords({ store, clock, handoverKey: opts.handoverKey ?? null }, run, envName)),
    clock,
    logger,
    signal: o.signal ?? new AbortController().signal,
    expiresAt,
    tags: (name) => runTags({ installation: config.installation, runId, env: envName, requester: run.requester, source: run.source, expiresAt, name, ...(kind === 'replenish' ? { pool: envName } : {}) }),
    outputOf: <N extends StepName>(step: N) => outputs.get(step) as StepOutputsByName[N] | undefined,
    recordAsset: (kind, id) => record(kind, id, false),
    assetDeleted: (kind, id) => record(kind, id, true),
    emit: (event) => events.push(event),
    log: (line, step) => logs.push({ step: step ?? 'run', line }),
    warn: (line, step) => events.push({ type: 'step.warning', step: step ?? 'run', message: line }),
    secrets,
    testRunner: opts.testRunner ?? idleRunner,
    // A step test's run is never adopted; the engine tests exercise the fence.
    fence: async () => undefined,
  });

  return {
    cloud,
    aws,
    store,
    config,
    env,
    run,
    runId,
    clock,
    events,
    logs,
    secrets,
    outputs,
    context,
    async runStep(step, o = {}) {
      const timeoutMs = o.timeoutMs;
      const result = await runStep(step, context(o.signal ? { signal: o.signal } : {}), {
        timeoutMs: (name) => timeoutMs ?? (config.runs.stepTimeouts as Record<string, number>)[name] ?? config.runs.timeout,
      });
      outputs.set(step.name, result.outputs);
      return result;
    },
    eventsOf: <T extends RunEventBody['type']>(type: T) => events.filter((e): e is Extract<RunEventBody, { type: T }> => e.type === type),
    async close() {
      aws.destroy();
      if (ownStore) await store.close();
    },
  };
}
