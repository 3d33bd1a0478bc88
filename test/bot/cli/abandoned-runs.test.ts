// A CLI that never strands an environment (issue 10.1), in-process over the fake cloud and a real sshd:
// SIGHUP and SIGTERM of a foreground launch tear it down like Ctrl-C; a later command finds a run whose
// process died and, with no server sharing the store, finishes it itself and says so; `teardown RUN` of
// such a run happens in the foreground and says when it finished; with a live server it leaves it be.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../../src/app/cli.ts';
import { capture } from './support.ts';
import { RunAbandoned } from '../../../src/pipeline/run-errors.ts';
import {
  createWorld,
  fakeTestRunner,
  freshDatabase,
  startFixtures,
  waitForState,
  type Fixtures,
  type StoreHandle,
  type World,
} from '../../pipeline/engine/harness.ts';

let fx: Fixtures;
let dir: string;
let world: World;
let database: StoreHandle;
let configFile: string;

beforeAll(async () => {
  fx = await startFixtures();
});

afterAll(async () => {
  await fx?.stop();
});

async function setUp(): Promise<void> {
  dir = mkdtempSync(join(tmpdir(), 'stagebot-cli-abandoned-'));
  database = await freshDatabase('sqlite');
  let data: Record<string, unknown> = {};
  world = await createWorld(fx, { database, testRunner: fakeTestRunner({ ms: 30_000 }), configData: (d) => void (data = d as Record<string, unknown>) });
  configFile = join(dir, 'stagebot.yml');
  writeFileSync(configFile, stringify({ ...data, store: { sqlitePath: database.options.sqlitePath } }));
}

afterEach(async () => {
  await world?.close();
  await database?.dispose();
  rmSync(dir, { recursive: true, force: true });
});


function cli(args: string[], testRunner = world.testRunner) {
  const out = capture();
  const err = capture();
  const done = runCli([...args, '--config', configFile], {
    stdout: out.stream,
    stderr: err.stream,
    env: { ...process.env, USER: 'alice', LOG_LEVEL: 'error' },
    overrides: { aws: world.aws, testRunner, clock: world.clock },
  });
  return { done, out, err };
}

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 1_500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A CLI engine's process that dies in the middle of its tests: nothing torn down, its lease goes stale. */
async function abandonedRun(): Promise<string> {
  const engine = world.engine({
    background: false,
    beforeStep: (_id, step) => {
      if (step === 'tests') throw new RunAbandoned('killed before the tests');
    },
  });
  const { run } = await engine.launch({ ...world.request(), requester: 'cli:bob', source: 'cli' });
  await until(async () => (await world.store.getStep(run.id, 'register'))?.state === 'succeeded' && !engine.drives(run.id), 'the crash');
  engine.abandon();
  world.clock.advance(world.config.runs.leaseTtl + 1_000);
  expect(world.live(run.id).length).toBeGreaterThan(0);
  return run.id;
}

describe('a foreground launch and the signals that end a terminal', () => {
  it.each([
    ['SIGHUP', 129],
    ['SIGTERM', 143],
  ] as const)('%s tears the run down like Ctrl-C and exits %i with a clear line', async (signal, code) => {
    await setUp();
    const { done, out, err } = cli(['launch', 'stg1']);
    await until(() => /tests started/.test(err.text()), 'the tests to start');
    process.emit(signal);
    expect(await done).toBe(code);
    expect(err.text()).toContain(`${signal}: cancelling`);
    const runId = /run (stg1-\S+) on stg1: cancelled/.exec(out.text())?.[1];
    expect(runId).toBeDefined();
    expect((await world.store.getRun(runId!))?.error).toBe(`cancelled by cli:alice (${signal})`);
    expect(world.live(runId!)).toEqual([]);
    expect(await world.store.getLock('stg1')).toBeNull();
  });
});

describe('runs whose process died', () => {
  it('`list` with no server: the run is torn down here, and stderr says so and when it finished', async () => {
    await setUp();
    const runId = await abandonedRun();
    const { done, out, err } = cli(['list']);
    expect(await done).toBe(0);
    expect(err.text()).toMatch(new RegExp(`stagebot: run ${runId} was left running \\(its process \\(.+\\) stopped\\) and no server shares this store; tearing it down here`));
    expect(err.text()).toMatch(new RegExp(`stagebot: run ${runId} finished at \\d\\d:\\d\\d:\\d\\d UTC: failed — interrupted: its process`));
    expect(world.live(runId)).toEqual([]);
    expect(out.text()).toContain('stg1     free');
    expect(await world.store.getRun(runId)).toMatchObject({ state: 'failed', leaseOwner: null });
  });

  it('`teardown RUN` of such a run acts in the foreground, ends it cancelled, and says when it finished', async () => {
    await setUp();
    const runId = await abandonedRun();
    const { done, out, err } = cli(['teardown', runId]);
    expect(await done).toBe(0);
    expect(err.text()).toContain(`${runId} adopted (teardown): torn down by cli:alice after its process`);
    expect(err.text()).toContain(`${runId} finished: cancelled — cancelled by cli:alice`);
    expect(out.text()).toContain(`run ${runId} on stg1: cancelled`);
    expect(world.live(runId)).toEqual([]);
    // It was not also taken by the general pass as a crash.
    const adopted = (await world.timeline(runId)).filter((e) => e.type === 'run.adopted');
    expect(adopted.map((e) => e.data.reason)).toEqual([expect.stringMatching(/^torn down by cli:alice after its process/)]);
  });

  it('with a live server on the store the CLI leaves the run to it', async () => {
    await setUp();
    const runId = await abandonedRun();
    await world.store.replicaHeartbeat('serve-replica-1', 'server', world.clock.now());
    const { done, err } = cli(['status']);
    expect(await done).toBe(0);
    expect(err.text()).not.toContain(runId);
    expect(world.live(runId).length).toBeGreaterThan(0);
    expect((await world.store.getRun(runId))?.state).toBe('running');
  });

  it('a queued launch whose requester died is dropped, never started by a server', async () => {
    await setUp();
    await world.store.claimLock({ env: 'stg1', holder: 'cli:carol', holderKind: 'person', reason: 'db migration', sticky: true, since: world.clock.now() });
    const requester = world.engine({ background: false });
    const { run, position } = await requester.launch({ ...world.request(), requester: 'cli:bob', source: 'cli' });
    expect(position).toBe(1);
    expect((await world.store.getRun(run.id))?.leaseOwner).toBe(requester.ownerId);
    requester.abandon();
    await world.store.releaseLock('stg1', 'cli:carol');
    // A server sees the environment free while the requester still could be there: it does not start it.
    const server = world.engine();
    await server.tick();
    expect((await world.store.getRun(run.id))?.state).toBe('queued');
    world.clock.advance(world.config.runs.leaseTtl + 1_000);
    await server.tick();
    const dropped = await waitForState(world.store, run.id, ['cancelled']);
    expect(dropped.error).toBe(`cancelled by stagebot (dropped from the queue: its requester (${requester.ownerId}) stopped while it waited; nothing was launched)`);
    expect(world.cloud.callCount('RunInstances')).toBe(0);
    expect(await world.store.getLock('stg1')).toBeNull();
  });
});
