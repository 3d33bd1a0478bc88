// A command the bot runs on its own machine (tests.prepare): `sh -c` as the leader of its own
// process group, so a timeout or a cancel stops it and everything it started (docker build, npm).
import { spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { groupAlive, stopProcessGroup } from '../../test-runners/process-group.ts';
import type { Exit } from './exit-text.ts';
import type { OutputLines } from './output-lines.ts';

/** Between SIGTERM and SIGKILL when the command is stopped. */
const KILL_GRACE_MS = 5_000;
/** After the process exits, how long its output pipes may take to drain. */
const DRAIN_MS = 2_000;
/** Node's timers overflow past this (about 24.8 days) and would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

export interface LocalCommandOptions {
  command: string;
  /** The whole environment of the command: nothing else of the bot's is inherited. */
  env: Record<string, string>;
  /** Absent: bounded only by `signal`. */
  timeoutMs?: number | undefined;
  /** Aborting stops the command's process group, then rejects with the signal's reason. */
  signal: AbortSignal;
  out: OutputLines;
  cwd?: string | undefined;
}

export async function runLocalCommand(opts: LocalCommandOptions): Promise<Exit> {
  opts.signal.throwIfAborted();
  const child = spawn('sh', ['-c', opts.command], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => opts.out.write(chunk, 'stdout'));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => opts.out.write(chunk, 'stderr'));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));

  let stopReason: 'timeout' | 'abort' | null = null;
  let stopping: Promise<void> = Promise.resolve();
  let exited = false;
  const stop = (reason: 'timeout' | 'abort') => {
    if (exited || stopReason !== null || child.pid === undefined) return;
    stopReason = reason;
    stopping = stopProcessGroup(child.pid, KILL_GRACE_MS);
  };
  const onAbort = () => stop('abort');
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const timer = opts.timeoutMs !== undefined && Number.isFinite(opts.timeoutMs) ? setTimeout(() => stop('timeout'), Math.min(opts.timeoutMs, MAX_TIMER_MS)) : undefined;

  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        exited = true;
        resolve({ code, signal });
      });
    });
    await stopping;
    // Whatever the command left running in the background goes too.
    if (child.pid !== undefined && (await groupAlive(child.pid))) await stopProcessGroup(child.pid, KILL_GRACE_MS);
    await Promise.race([closed, delay(DRAIN_MS)]);
    if (stopReason === 'abort') throw opts.signal.reason;
    return { code: exit.code, signal: exit.signal, timedOut: stopReason === 'timeout' };
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', onAbort);
    child.stdout.destroy();
    child.stderr.destroy();
    opts.out.flush();
  }
}
