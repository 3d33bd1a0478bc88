// A queued launch from the real executable (issue 9.1): it waits in the foreground with its place and
// an estimate instead of crashing ("unsettled top-level await", exit 13), a signal takes it out of the
// queue with nothing launched, and a requester killed while it waited leaves no ghost: the next command
// drops the run. No AWS is reached: a queued run makes no call.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, childEnv, linesOf, stagebot, tempDir, writeExampleConfig } from './support.ts';

let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  tmp = tempDir('stagebot-cli-queued-');
  writeExampleConfig(tmp.dir, 'stagebot.yml', (t) => t.replace('leaseTtl: 2m', 'leaseTtl: 3s'));
  const locked = await stagebot(['lock', 'stg1', '--reason=db migration'], { cwd: tmp.dir });
  expect(locked.code).toBe(0);
});

afterAll(() => tmp.remove());

interface Child {
  proc: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function launch(): Child {
  const proc = spawn(process.execPath, [BIN, 'launch', 'stg1'], { cwd: tmp.dir, env: childEnv(tmp.dir), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, stderr: () => err, stdout: () => out, exit };
}

async function waitFor(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const RUN_ID = /run (stg1-\d{8}-[0-9a-f]{6}) is queued/;

describe('a queued CLI launch', () => {
  it.each(['SIGTERM', 'SIGHUP', 'SIGINT'] as const)('waits with its place and why, and %s leaves the queue with nothing launched', async (signal) => {
    const child = launch();
    try {
      await waitFor(() => RUN_ID.test(child.stderr()), 'the queue line');
      expect(child.stderr()).toMatch(/is queued \(position 1; stg1 is locked by cli:tester since .+ \(db migration\); starts when it is unlocked\); waiting — Ctrl-C leaves the queue/);
      if (signal === 'SIGTERM') {
        // Still waiting well past the 2.5 s after which it used to crash with exit 13.
        await new Promise((r) => setTimeout(r, 3_000));
        expect(child.proc.exitCode).toBeNull();
      }
      child.proc.kill(signal);
      const { code } = await child.exit;
      expect(code).toBe({ SIGTERM: 143, SIGHUP: 129, SIGINT: 130 }[signal]);
      expect(child.stderr()).not.toMatch(/unsettled top-level await|Warning/);
      const runId = RUN_ID.exec(child.stderr())![1]!;
      const status = await stagebot(['status', runId, '--output', 'json'], { cwd: tmp.dir });
      const doc = JSON.parse(status.stdout).result;
      expect(doc.state).toBe('cancelled');
      expect(doc.assets).toEqual([]);
    } finally {
      child.proc.kill('SIGKILL');
    }
  }, 40_000);

  it('killed while it waits: the next command drops the run, says so, and it never starts', async () => {
    const child = launch();
    await waitFor(() => RUN_ID.test(child.stderr()), 'the queue line');
    const runId = RUN_ID.exec(child.stderr())![1]!;
    child.proc.kill('SIGKILL');
    await child.exit;
    // Still within its lease: it may be a live requester.
    const soon = await stagebot(['list'], { cwd: tmp.dir });
    // The queue line, with why it waits (stg1 is locked by hand): `  1. RUN by cli:tester (stg1): starts when …`.
    expect(linesOf(soon.stdout).find((l) => l.startsWith(`  1. ${runId} by cli:tester (stg1)`))).toMatch(/^ {2}1\. \S+ by cli:tester \(stg1\): \S.*$/);
    await new Promise((r) => setTimeout(r, 3_500));
    const later = await stagebot(['list'], { cwd: tmp.dir });
    expect(later.code).toBe(0);
    expect(later.stderr).toMatch(new RegExp(`stagebot: run ${runId} dropped from the queue: its requester \\(.+\\) stopped while it waited; nothing was launched`));
    expect(linesOf(later.stdout)).toContain('queue: empty');
    const unlock = await stagebot(['unlock', 'stg1'], { cwd: tmp.dir });
    expect(unlock.code).toBe(0);
    const status = await stagebot(['status', runId, '--output', 'json'], { cwd: tmp.dir });
    expect(JSON.parse(status.stdout).result).toMatchObject({ state: 'cancelled', startedAt: null });
  }, 40_000);
});
