// End-to-end harness for the run engine: one fake AWS world (seeded with 2-4 environments), a real
// OpenSSH server on loopback standing in for every launched host (the fake cloud hands out
// 127.0.0.1 as the public IP), a local HTTP server the recipe's waitHttp polls through that host,
// a real store (SQLite file, or Postgres when TEST_DATABASE_URL is set and asked for), and engines
// whose every event is recorded.
//
// Time: one controllable clock for the engines. `now()` is real time plus an offset the test (or a
// step's sleep) moves; `sleep(ms)` moves the offset by `ms` and yields for a real millisecond, so the
// steps' 5-10 s polls cost nothing while durations stay real and positive.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import ssh2 from 'ssh2';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { stringify } from 'yaml';
import type { AwsClients } from '../../../src/aws/clients.ts';
import { TAG } from '../../../src/aws/tags.ts';
import { parseConfig, type Config, type RecipeItem } from '../../../src/config/index.ts';
import type { Clock } from '../../../src/domain/clock.ts';
import { isFinished, type Run, type RunEvent, type RunState } from '../../../src/domain/run.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { Engine, type EngineOptions, type LaunchRequest } from '../../../src/pipeline/engine.ts';
import type { EngineEvent } from '../../../src/pipeline/events.ts';
import type { BrowserJob, BrowserResult, RunOptions, TestRunner } from '../../../src/pipeline/test-runners/types.ts';
import { abortableSleep } from '../../../src/ssh/sleep.ts';
import { openStore, type OpenStoreOptions, type Store } from '../../../src/store/index.ts';
import { createFakeAwsClients, FakeCloud, type FakeCloudOptions, type LiveAsset } from '../../fakes/cloud/index.ts';
import { processesMatching } from '../../support/processes.ts';
import { startSshd, type TestSshd } from '../../support/sshd.ts';

export const INSTALLATION = 'engine-e2e';
export const ACCOUNT_ID = '123456789012';
export const REGION = 'eu-west-1';
export const INSTANCE_TYPE = 't3.2xlarge';
export const KEY_PAIR = 'staging-eu';
/** Where the harness puts the sshd's client key: the environments' `ssh.privateKeyEnv`. */
export const SSH_KEY_ENV = 'STAGEBOT_ENGINE_E2E_SSH_KEY';
export const ENV_NAMES = ['stg1', 'stg2', 'stg3', 'stg4'] as const;
export const REQUESTER = 'slack:U0ENGINE1';

/** The seven tags every created asset must carry from the moment it exists (design.md section 3). */
export const RUN_TAG_KEYS = [TAG.assetId, TAG.managedBy, TAG.env, TAG.requestedBy, TAG.source, TAG.expiresAt, TAG.name] as const;

// ---- the clock ----------------------------------------------------------------------------------

export interface TestClock extends Clock {
  /** Moves time forward for everyone holding this clock. */
  advance(ms: number): void;
  /** Total fake time that sleeps and advances added. */
  readonly offsetMs: number;
}

export function testClock(realSleepMs = 1): TestClock {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance(ms) {
      offset += ms;
    },
    get offsetMs() {
      return offset;
    },
    sleep(ms, signal) {
      signal?.throwIfAborted();
      offset += ms;
      return abortableSleep(realSleepMs, signal);
    },
  };
}

// ---- file-wide fixtures: sshd + HTTP server -----------------------------------------------------

export interface Fixtures {
  sshd: TestSshd;
  /** The recipe's waitHttp target (answers 200 on /health, 503 elsewhere). */
  httpPort: number;
  stop(): Promise<void>;
}

/**
 * ssh2's generateKeyPairSync drops a leading zero byte of an ed25519 public key (about 1 key in 256),
 * which OpenSSH refuses as a host key ("error in libcrypto") and ssh2 itself cannot parse back as a
 * client key. Each startSshd makes new keys, so a few tries get a good pair.
 */
async function startWorkingSshd(): Promise<TestSshd> {
  let last: unknown;
  for (let attempt = 1; attempt <= 4; attempt++) {
    let sshd: TestSshd;
    try {
      sshd = await startSshd();
    } catch (err) {
      last = err;
      continue;
    }
    if (!(ssh2.utils.parseKey(sshd.privateKey) instanceof Error)) return sshd;
    last = new Error('ssh2 generated a client key it cannot parse');
    await sshd.stop();
  }
  throw last;
}

/** Call in beforeAll: one sshd and one HTTP server for the whole file. */
export async function startFixtures(): Promise<Fixtures> {
  const sshd = await startWorkingSshd();
  process.env[SSH_KEY_ENV] = sshd.privateKey;
  const server: Server = createServer((req, res) => {
    res.statusCode = req.url === '/health' ? 200 : 503;
    res.end('ok');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('HTTP fixture has no port');
  return {
    sshd,
    httpPort: address.port,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sshd.stop();
      delete process.env[SSH_KEY_ENV];
    },
  };
}

/**
 * Call at a test file's top level: the fixtures start before the file's tests and stop after them,
 * and every world made through the returned function is closed after the test that made it.
 * `make` is `createWorld` or a world built on it (a front's).
 */
export function useWorlds<O, W extends { close(): Promise<void> }>(make: (fx: Fixtures, opts?: O) => Promise<W>): (opts?: O) => Promise<W> {
  let fx: Fixtures | undefined;
  const worlds: W[] = [];
  beforeAll(async () => {
    fx = await startFixtures();
  });
  afterAll(async () => {
    await fx?.stop();
  });
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.close();
  });
  return async (opts) => {
    if (!fx) throw new Error('worlds are made inside tests: the fixtures start in beforeAll');
    const w = await make(fx, opts);
    worlds.push(w);
    return w;
  };
}

// ---- test runners -------------------------------------------------------------------------------

export function browserResult(browser: string, over: Partial<BrowserResult> = {}): BrowserResult {
  return {
    browser,
    outcome: 'passed',
    passed: 12,
    failed: 0,
    flaky: 0,
    skipped: 0,
    failingTests: [],
    durationMs: 5,
    reportUrl: null,
    detail: null,
    ...over,
  };
}

export interface FakeTestRunner extends TestRunner {
  jobs: BrowserJob[];
}

/**
 * A TestRunner whose browsers take `ms` (real) each and return `results[browser]` (default: passed).
 * Honours its signal like a real runner: an abort ends the browser as `cancelled`.
 */
export function fakeTestRunner(opts: { ms?: number; results?: Record<string, Partial<BrowserResult>> } = {}): FakeTestRunner {
  const jobs: BrowserJob[] = [];
  return {
    jobs,
    async run(job: BrowserJob, run: RunOptions): Promise<BrowserResult> {
      jobs.push(job);
      const started = performance.now();
      try {
        await delay(opts.ms ?? 5, undefined, { signal: run.signal });
      } catch {
        return browserResult(job.browser, { outcome: 'cancelled', passed: 0, durationMs: performance.now() - started });
      }
      run.onOutput?.(`running ${job.project} against ${job.baseUrl}`);
      return browserResult(job.browser, { durationMs: performance.now() - started, ...opts.results?.[job.browser] });
    },
  };
}

// ---- stores -------------------------------------------------------------------------------------

export interface StoreHandle {
  backend: 'sqlite' | 'postgres';
  options: OpenStoreOptions;
  /** Opens another Store on the same database (a second replica); closed by `dispose`. */
  open(): Promise<Store>;
  dispose(): Promise<void>;
}

const PG_URL = process.env['TEST_DATABASE_URL'];

function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

async function pgAdmin(fn: (c: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database: a SQLite file in a temp dir, or (postgres, when TEST_DATABASE_URL is set) its own schema. */
export async function freshDatabase(want: 'sqlite' | 'postgres-if-available' = 'sqlite'): Promise<StoreHandle> {
  const opened: Store[] = [];
  const open = async (options: OpenStoreOptions) => {
    const store = await openStore(options);
    opened.push(store);
    return store;
  };
  if (want === 'postgres-if-available' && PG_URL) {
    const schema = `stagebot_engine_${process.pid}_${randomBytes(4).toString('hex')}`;
    await pgAdmin((c) => c.query(`CREATE SCHEMA ${schema}`));
    const options: OpenStoreOptions = { databaseUrl: withSearchPath(PG_URL, schema), maxConnections: 4 };
    return {
      backend: 'postgres',
      options,
      open: () => open(options),
      async dispose() {
        await Promise.allSettled(opened.map((s) => s.close()));
        await pgAdmin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
      },
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'stagebot-engine-'));
  const options: OpenStoreOptions = { sqlitePath: join(dir, 'store.db') };
  return {
    backend: 'sqlite',
    options,
    open: () => open(options),
    async dispose() {
      await Promise.allSettled(opened.map((s) => s.close()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---- the world ----------------------------------------------------------------------------------

export interface SeededEnv {
  name: string;
  amiId: string;
  subnetId: string;
  securityGroupId: string;
  targetGroupArn: string;
}

export interface WorldOptions {
  /** How many environments (2-4); default 2. */
  envs?: number;
  /** The recipe every environment runs; default: an echo and a waitHttp against the HTTP fixture. */
  recipe?: (fx: Fixtures) => unknown[];
  /** Changes to the YAML data before parsing. */
  configData?: (data: Record<string, any>) => void;
  /** Changes to the parsed config (durations in ms). */
  configure?: (config: Config) => void;
  cloud?: FakeCloudOptions;
  /** Share a cloud (a second world on the same AWS). */
  sharedCloud?: FakeCloud;
  /** Share a database (a second replica). */
  database?: StoreHandle;
  backend?: 'sqlite' | 'postgres-if-available';
  testRunner?: TestRunner;
  clock?: TestClock;
}

export interface World {
  fx: Fixtures;
  cloud: FakeCloud;
  aws: AwsClients;
  config: Config;
  envs: SeededEnv[];
  database: StoreHandle;
  /** The first store opened on the database (the one `engine()` uses unless given another). */
  store: Store;
  clock: TestClock;
  testRunner: TestRunner;
  /** Every event of every engine made by `engine()`, in emission order. */
  events: EngineEvent[];
  engines: Engine[];
  engine(over?: Partial<EngineOptions>): Engine;
  /** A launch request with the harness' defaults. */
  request(over?: Partial<LaunchRequest>): LaunchRequest;
  eventsOf(runId: string, type?: EngineEvent['type']): EngineEvent[];
  /** The run's timeline as the store has it. */
  timeline(runId: string): Promise<RunEvent[]>;
  /** What still exists of the run in the fake cloud (targets being drained count as gone: they are deregistered). */
  live(runId: string): LiveAsset[];
  close(): Promise<void>;
}

export function defaultRecipe(fx: Fixtures): unknown[] {
  return [
    { name: 'say hello', run: 'echo "hello from $STAGEBOT_RUN_ID on $STAGEBOT_ENV"' },
    { name: 'wait for the app', waitHttp: { url: `http://127.0.0.1:${fx.httpPort}/health`, status: 200, retries: 5, interval: '1s' } },
  ];
}

function configData(fx: Fixtures, envs: SeededEnv[], recipe: unknown[]): Record<string, any> {
  const environments: Record<string, unknown> = {};
  for (const e of envs) {
    environments[e.name] = {
      region: REGION,
      ami: e.amiId,
      instanceType: INSTANCE_TYPE,
      rootVolume: { sizeGb: 200, type: 'gp3' },
      subnets: [e.subnetId],
      securityGroup: e.securityGroupId,
      targetGroupArn: e.targetGroupArn,
      keyPair: KEY_PAIR,
      ssh: { user: fx.sshd.username, privateKeyEnv: SSH_KEY_ENV, host: '{publicIp}', port: fx.sshd.port, allowFrom: ['203.0.113.10/32'] },
      url: `https://${e.name}.staging.acme.example`,
      serviceUpdate: recipe,
    };
  }
  return {
    installation: INSTALLATION,
    aws: { accountAllowlist: [ACCOUNT_ID] },
    runs: { keepDefault: '2h', keepMax: '24h', timeout: '3h', leaseTtl: '1m', onAdopt: 'teardown' },
    environments,
    pool: envs.map((e) => e.name),
    browsers: { chrome: { project: 'chromium' }, firefox: { project: 'firefox' }, safari: { project: 'webkit' }, edge: { project: 'msedge' } },
    defaultBrowsers: ['chrome'],
    tests: {
      prepare: { command: 'echo preparing the e2e bundle', timeout: '1m' },
      runner: { kind: 'command', command: 'npx playwright test' },
      workers: 2,
      retries: 0,
      maxWait: '10m',
    },
  };
}

/** Seeds what an environment needs in the fake cloud: AMI, subnet, security group, target group (the key pair is shared). */
function seedEnv(cloud: FakeCloud, name: string, index: number): SeededEnv {
  const hex = (n: number) => n.toString(16).padStart(17, '0');
  const { imageId } = cloud.addImage({ region: REGION, imageId: `ami-${hex(0xa000 + index)}`, name: `${name}-base`, snapshotSizeGb: 30 });
  const subnetId = cloud.addSubnet({ region: REGION, subnetId: `subnet-${hex(0xb000 + index)}` });
  const securityGroupId = cloud.addSecurityGroup({ region: REGION, groupId: `sg-${hex(0xc000 + index)}`, name: `${name}-web` });
  const targetGroupArn = cloud.addTargetGroup({ region: REGION, name: `${name}-web`, healthyAfterPolls: 1, drainPolls: 0 });
  return { name, amiId: imageId, subnetId, securityGroupId, targetGroupArn };
}

export async function createWorld(fx: Fixtures, opts: WorldOptions = {}): Promise<World> {
  const count = Math.min(4, Math.max(2, opts.envs ?? 2));
  const cloud =
    opts.sharedCloud ??
    new FakeCloud({ publicIp: () => '127.0.0.1', pendingDescribes: 1, shuttingDownDescribes: 1, ...opts.cloud });
  let envs: SeededEnv[];
  if (opts.sharedCloud) {
    envs = ENV_NAMES.slice(0, count).map((name, i) => {
      const hex = (n: number) => n.toString(16).padStart(17, '0');
      const tg = [...cloud.region(REGION).targetGroups.values()].find((g) => g.name === `${name}-web`);
      if (!tg) throw new Error(`shared cloud has no environment ${name}`);
      return { name, amiId: `ami-${hex(0xa000 + i)}`, subnetId: `subnet-${hex(0xb000 + i)}`, securityGroupId: `sg-${hex(0xc000 + i)}`, targetGroupArn: tg.arn };
    });
  } else {
    cloud.addKeyPair({ region: REGION, keyName: KEY_PAIR });
    envs = ENV_NAMES.slice(0, count).map((name, i) => seedEnv(cloud, name, i));
  }
  const data = configData(fx, envs, (opts.recipe ?? defaultRecipe)(fx));
  opts.configData?.(data);
  const config = parseConfig(stringify(data), {});
  opts.configure?.(config);

  const aws = createFakeAwsClients(cloud);
  const database = opts.database ?? (await freshDatabase(opts.backend));
  const ownDatabase = opts.database === undefined;
  const store = await database.open();
  const clock = opts.clock ?? testClock();
  const testRunner = opts.testRunner ?? fakeTestRunner();
  const events: EngineEvent[] = [];
  const engines: Engine[] = [];

  const world: World = {
    fx,
    cloud,
    aws,
    config,
    envs,
    database,
    store,
    clock,
    testRunner,
    events,
    engines,
    engine(over = {}) {
      const engine = new Engine({ config, store, aws, logger: silentLogger(), testRunner, clock, ...over });
      engine.on((e) => {
        if (e.type !== 'step.log') events.push(e);
      });
      engines.push(engine);
      return engine;
    },
    request(over = {}) {
      return { env: envs[0]!.name, browsers: ['chrome'], keepMs: null, ref: null, requester: REQUESTER, source: 'slack', ...over };
    },
    eventsOf(runId, type) {
      return events.filter((e) => e.runId === runId && (type === undefined || e.type === type));
    },
    timeline: (runId) => store.getEvents(runId),
    live(runId) {
      const draining = new Set<string>();
      for (const tg of cloud.region(REGION).targetGroups.values()) {
        for (const t of tg.targets.values()) if (t.phase === 'draining') draining.add(`${tg.arn}|${t.id}`);
      }
      return cloud.liveAssetsTaggedWith(runId).filter((a) => !(a.kind === 'target' && draining.has(a.id)));
    },
    async close() {
      for (const engine of engines) engine.abandon();
      await Promise.allSettled(engines.map((e) => e.stop(0)));
      await Promise.allSettled(engines.map((e) => e.flush()));
      if (ownDatabase) await database.dispose();
    },
  };
  return world;
}

// ---- waiting ------------------------------------------------------------------------------------

/** Polls the store until the run is in one of `states` (bounded). */
export async function waitForState(store: Store, runId: string, states: readonly RunState[], withinMs = 15_000): Promise<Run> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const run = await store.getRun(runId);
    if (run && states.includes(run.state)) return run;
    if (performance.now() > deadline) throw new Error(`run ${runId} is ${run?.state ?? 'missing'} after ${withinMs} ms, expected ${states.join(' or ')}`);
    await delay(10);
  }
}

/**
 * Polls the store until the run has finished and its driver let go of it (lease released, which
 * finish() does last: after the final event and the environment lock). Bounded.
 */
export async function waitForFinished(store: Store, runId: string, withinMs = 15_000): Promise<Run> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const run = await store.getRun(runId);
    if (run && isFinished(run.state) && run.leaseOwner === null) return run;
    if (performance.now() > deadline) throw new Error(`run ${runId} is ${run?.state ?? 'missing'} (lease ${run?.leaseOwner ?? 'none'}) after ${withinMs} ms`);
    await delay(10);
  }
}

/** Waits until a run's end (or kept) through the engine, bounded. */
export async function waitForEnd(engine: Engine, runId: string, withinMs = 15_000): Promise<Run> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`run ${runId} did not end within ${withinMs} ms`)), withinMs);
  });
  try {
    const run = await Promise.race([engine.waitForRun(runId), timeout]);
    await engine.flush();
    return run;
  } finally {
    clearTimeout(timer);
  }
}

/** Launches and waits for the run to end (or be kept). */
export async function launchAndWait(engine: Engine, req: LaunchRequest, withinMs = 15_000): Promise<Run> {
  const { run } = await engine.launch(req);
  return waitForEnd(engine, run.id, withinMs);
}

/** Resolves with the first event the predicate accepts (bounded). */
export function nextEvent(engine: Engine, accept: (e: EngineEvent) => boolean, withinMs = 15_000): Promise<EngineEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${withinMs} ms`));
    }, withinMs);
    const off = engine.on((e) => {
      if (!accept(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/**
 * What kill -9 leaves: the engine stops where it is (nothing torn down) and its leases still name it,
 * going stale once the clock moves past runs.leaseTtl (moved here unless `advance: false`). stop()
 * waits for what was in flight and gives the leases up, so they are put back as a dead process leaves them.
 */
export async function crashEngine(w: Pick<World, 'store' | 'clock' | 'config'>, engine: Engine, runIds: readonly string[], opts: { advance?: boolean } = {}): Promise<void> {
  engine.abandon();
  await engine.stop(0);
  for (const runId of runIds) {
    const run = await w.store.getRun(runId);
    if (run && !isFinished(run.state) && !(await w.store.acquireLease(runId, engine.ownerId, w.clock.now(), w.config.runs.leaseTtl))) {
      throw new Error(`crashEngine: could not put the lease of ${runId} back on ${engine.ownerId}`);
    }
  }
  if (opts.advance !== false) w.clock.advance(w.config.runs.leaseTtl + 1_000);
}

/** Resolves once a process matching `pattern` runs on this machine (the "remote" host), bounded. */
export async function remoteRunning(pattern: string, withinMs = 10_000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (processesMatching(pattern).length === 0) {
    if (performance.now() > deadline) throw new Error(`no process matching ${pattern} within ${withinMs} ms`);
    await delay(20);
  }
}

/** The recipe item runs a real command on the loopback host; this builds the config's shape. */
export function runItem(name: string, command: string, extra: Partial<RecipeItem> = {}): Record<string, unknown> {
  return { name, run: command, ...extra };
}
