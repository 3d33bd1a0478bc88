// A rolling restart of two `stagebot serve` replicas on Postgres under a running run (issue 10.3),
// against moto over HTTP and the real sshd: each replica stopped with SIGTERM hands the run over, the
// other resumes it — twice — and the run succeeds with one instance, runs.onAdopt (teardown, the crash
// policy) notwithstanding. The replicas log and count each handover.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId } from '../../src/domain/run-id.ts';
import type { Store } from '../../src/store/index.ts';
import { BIN } from '../bot/cli/support.ts';
import { freshDatabase, startFixtures, type Fixtures, type StoreHandle } from '../pipeline/engine/harness.ts';
import { leftovers, motoAvailable, processEnv, seed, startMoto, writeConfig, type Moto } from './support/moto-world.ts';

const available = (await motoAvailable()) && Boolean(process.env.TEST_DATABASE_URL);

let fx: Fixtures;
let moto: Moto;
let dir: string;
let config: string;
let db: StoreHandle;
let store: Store;
const replicas: ChildProcess[] = [];

beforeAll(async () => {
  if (!available) return;
  fx = await startFixtures();
  moto = await startMoto();
  dir = mkdtempSync(join(tmpdir(), 'stagebot-rolling-'));
  const envs = await seed(moto, ['stg1']);
  config = writeConfig(dir, fx, envs, { leaseTtl: '3s', testsSleepMs: 5_000 });
  db = await freshDatabase('postgres-if-available');
  store = await db.open();
}, 60_000);

afterAll(async () => {
  for (const r of replicas) r.kill('SIGKILL');
  await db?.dispose();
  await moto?.stop();
  await fx?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Replica {
  proc: ChildProcess;
  log: () => { msg: string; [k: string]: unknown }[];
  url: Promise<string>;
  exit: Promise<number | null>;
}

function serve(name: string): Replica {
  const proc = spawn(process.execPath, [BIN, 'serve', '--config', config], {
    cwd: dir,
    env: processEnv(moto, fx, `AKIDSERVE${name}`, { DATABASE_URL: db.options.databaseUrl!, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  replicas.push(proc);
  const lines: { msg: string; [k: string]: unknown }[] = [];
  let buffer = '';
  let gotUrl!: (url: string) => void;
  const url = new Promise<string>((r) => (gotUrl = r));
  proc.stderr!.on('data', (c: Buffer) => {
    buffer += c.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    for (const part of parts) {
      try {
        const line = JSON.parse(part) as { msg: string; url?: string };
        lines.push(line);
        if (line.msg === 'stagebot listening' && line.url) gotUrl(line.url);
      } catch {
        // not a log line
      }
    }
  });
  return { proc, log: () => lines, url, exit: new Promise((r) => proc.on('exit', (code) => r(code))) };
}

async function until<T>(check: () => Promise<T | null | undefined | false>, what: string, ms = 60_000): Promise<T> {
  const deadline = performance.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function recoveries(r: Replica): Promise<string> {
  const res = await fetch(`${await r.url}/metrics`);
  return (await res.text()).split('\n').filter((l) => l.startsWith('stagebot_run_recoveries_total')).join('\n');
}

const testsRunningUnder = (runId: string) => async () => {
  const [run, tests] = await Promise.all([store.getRun(runId), store.getStep(runId, 'tests')]);
  return run?.leaseOwner && tests?.state === 'running' ? run.leaseOwner : null;
};

describe.skipIf(!available)('a rolling restart of two serve replicas on Postgres', () => {
  it('hands the running run over twice; it resumes each time and succeeds with one instance', async () => {
    const a = serve('A');
    await a.url;
    const now = new Date();
    // What a chat front's launch leaves for the replicas: a queued run nobody holds.
    const run = await store.createRun({ id: newRunId('stg1', now), env: 'stg1', requester: 'slack:U0ROLL', source: 'slack', options: { browsers: ['chrome'] }, createdAt: now });
    await moto.startRecording();
    const ownerA = await until(testsRunningUnder(run.id), 'replica A to run the tests');

    const b = serve('B');
    await b.url;
    a.proc.kill('SIGTERM');
    expect(await a.exit).toBe(0);
    expect(a.log().some((l) => l.msg === `run ${run.id} handed over for a restart; the next replica resumes it`)).toBe(true);
    const ownerB = await until(async () => {
      const owner = await testsRunningUnder(run.id)();
      return owner && owner !== ownerA ? owner : null;
    }, 'replica B to resume the tests');
    expect(await recoveries(b)).toContain('stagebot_run_recoveries_total{event="handover-resumed"} 1');

    const a2 = serve('A2');
    await a2.url;
    b.proc.kill('SIGTERM');
    expect(await b.exit).toBe(0);
    const done = await until(async () => {
      const r = await store.getRun(run.id);
      return r && ['succeeded', 'failed', 'cancelled'].includes(r.state) ? r : null;
    }, 'the run to finish');
    expect(done.state, done.error ?? '').toBe('succeeded');

    const adopted = (await store.getEvents(run.id)).filter((e) => e.type === 'run.adopted').map((e) => e.data);
    expect(adopted).toEqual([
      expect.objectContaining({ action: 'resume', reason: `handed over from replica ${ownerA} during a restart` }),
      expect.objectContaining({ action: 'resume', reason: `handed over from replica ${ownerB} during a restart` }),
    ]);
    expect(a2.log().some((l) => l.msg.startsWith(`run ${run.id} taken over (resume)`))).toBe(true);
    const calls = await moto.recording();
    expect(calls.filter((c) => c.action === 'RunInstances')).toHaveLength(1);
    // The SSH door was closed at each handover and opened again by each resumer: three opens, all revoked.
    expect(calls.filter((c) => c.action === 'AuthorizeSecurityGroupIngress')).toHaveLength(3);
    expect(await leftovers(moto, run.id)).toEqual([]);
    a2.proc.kill('SIGTERM');
    expect(await a2.exit).toBe(0);
  }, 180_000);
});
