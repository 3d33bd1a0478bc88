// One command on the host over an exec channel (no pty), with environment variables passed
// as a quoted `export` line, a bounded output tail, and a timeout / abort that really ends
// the remote process.
//
// Why the kill works this way (checked against OpenSSH 9.2): sshd ignores the channel
// `signal` request, and closing the channel neither signals the command nor closes the
// channel while the command runs. What does work: sshd runs every pty-less session under
// setsid(), so the login shell leads its own process group and `$$` is that group's id.
// The command line first prints `$$`; to stop it we open a second channel and run
// `kill -TERM -PGID` (then KILL for whatever ignored TERM).

import { StringDecoder } from 'node:string_decoder';
import type { Client, ClientChannel } from 'ssh2';
import { formatDuration } from '../domain/duration.ts';
import { SshExecError } from './errors.ts';
import { OutputTail } from './output-tail.ts';
import { exportLine } from './shell-quote.ts';

export type OutputStream = 'stdout' | 'stderr';

export interface ExecOptions {
  /** Values that come from chat go here, never into `command`. Names must match ^[A-Z_][A-Z0-9_]*$. */
  env?: Readonly<Record<string, string>>;
  /** After this the remote command is killed and the result has `timedOut: true`. */
  timeoutMs: number;
  /** Aborting kills the remote command, then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Every chunk as it arrives, decoded as UTF-8 (characters are never split between chunks). */
  onOutput?: (chunk: string, stream: OutputStream) => void;
}

export interface ExecResult {
  /** Exit status; null when the command was killed by a signal or never reported one. */
  code: number | null;
  /** `SIGTERM`, `SIGKILL`... when a signal ended the command. */
  signal?: string;
  timedOut: boolean;
  /** The last ~4 KB / 40 lines of each stream. */
  stdoutTail: string;
  stderrTail: string;
  durationMs: number;
}

const PID_LINE = /(?<=^|\n)stagebot-pid=(\d+)\n/;
/** Where to stop looking for the pid line if a login script drowned it (then only closing is left). */
const PID_SEARCH_BYTES = 4_096;
/** setTimeout fires at once for delays past 2^31-1 ms. */
const MAX_TIMER_MS = 2_147_483_647;
/** How long a stop waits for the pid line, the kill channel, and the channel to close. */
const PID_WAIT_MS = 3_000;
const KILL_CHANNEL_MS = 5_000;
/** Longer than the kill script's TERM grace (2 s), so a command that ignores TERM is KILLed first. */
const CLOSE_WAIT_MS = 3_000;

/** The line the login shell runs: print our pid, export the variables, then the command itself. */
export function wrapCommand(command: string, env: Readonly<Record<string, string>>): string {
  return [`printf 'stagebot-pid=%s\\n' "$$"`, exportLine(env), command].filter((line) => line !== '').join('\n');
}

/**
 * TERM the whole process group, give it 2 s, then KILL what is left. Written as `kill -TERM -PGID`
 * because dash (Debian's and Ubuntu's sh) rejects both `kill -- -PGID` and `kill -s TERM -PGID`.
 */
export function killScript(pgid: number): string {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) throw new Error(`refusing to kill process group ${pgid}`);
  return [
    `kill -TERM -${pgid} 2>/dev/null || kill -TERM ${pgid} 2>/dev/null`,
    'i=0',
    `while [ "$i" -lt 20 ] && kill -0 -${pgid} 2>/dev/null; do sleep 0.1; i=$((i+1)); done`,
    `kill -KILL -${pgid} 2>/dev/null`,
    'exit 0',
  ].join('\n');
}

/** One line for a report: `exited with code 3`, `timed out after 5m`, `killed by SIGTERM`. */
export function describeExit(result: ExecResult, timeoutMs?: number): string {
  if (result.timedOut) return timeoutMs === undefined ? 'timed out' : `timed out after ${formatDuration(timeoutMs)}`;
  if (result.code === 0) return 'succeeded';
  if (result.code !== null) return `exited with code ${result.code}`;
  if (result.signal !== undefined) return `killed by ${result.signal}`;
  return 'ended without an exit status';
}

/**
 * Opens an exec channel and hands it to `attach` inside ssh2's callback: a fast command's
 * output, exit status and close can arrive in the same read as the channel confirmation,
 * before any promise continuation would run.
 */
function openChannel<T>(client: Client, command: string, address: string, attach: (channel: ClientChannel) => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, channel) => {
        if (err) reject(new SshExecError(`could not start a command on ${address}: ${err.message}`));
        else attach(channel).then(resolve, reject);
      });
    } catch (err) {
      reject(new SshExecError(`could not start a command on ${address}: ${(err as Error).message}`));
    }
  });
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function killRemote(client: Client, pgid: number, address: string): Promise<void> {
  return openChannel(client, killScript(pgid), address, async (channel) => {
    const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
    channel.resume();
    channel.stderr.resume();
    channel.end();
    if ((await within(closed, KILL_CHANNEL_MS)) === 'timeout') channel.close();
  });
}

/** Runs `command` through the login shell of `client`'s user. Used by SshSession.exec. */
export async function runCommand(client: Client, address: string, command: string, opts: ExecOptions): Promise<ExecResult> {
  const script = wrapCommand(command, opts.env ?? {});
  opts.signal?.throwIfAborted();
  const started = performance.now();
  return openChannel(client, script, address, (channel) => watchChannel(client, channel, address, started, opts));
}

function watchChannel(client: Client, channel: ClientChannel, address: string, started: number, opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const tails = { stdout: new OutputTail(), stderr: new OutputTail() };
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const pidKnown = Promise.withResolvers<void>();
    const channelClosed = Promise.withResolvers<void>();
    let pid: number | null = null;
    let head: Buffer | null = Buffer.alloc(0);
    let code: number | null = null;
    let exitSignal: string | undefined;
    let closed = false;
    let connectionLost = false;
    let stopReason: 'timeout' | 'abort' | null = null;
    let done = false;

    const deliver = (text: string, stream: OutputStream) => {
      if (text === '' || opts.onOutput === undefined) return;
      try {
        opts.onOutput(text, stream);
      } catch {
        // A failing progress renderer must not leave the remote command unwatched.
      }
    };
    const emit = (chunk: Buffer, stream: OutputStream) => {
      tails[stream].push(chunk);
      deliver(decoders[stream].write(chunk), stream);
    };

    channel.on('data', (chunk: Buffer) => {
      if (head === null) return emit(chunk, 'stdout');
      head = Buffer.concat([head, chunk]);
      // Usually the first line; a chatty ~/.bashrc may print before it.
      const match = PID_LINE.exec(head.toString('latin1'));
      if (match === null && head.length < PID_SEARCH_BYTES) return;
      const before = match === null ? head : head.subarray(0, match.index);
      const after = match === null ? Buffer.alloc(0) : head.subarray(match.index + match[0].length);
      head = null;
      if (before.length > 0) emit(before, 'stdout');
      if (match !== null) {
        pid = Number(match[1]);
        pidKnown.resolve();
      }
      if (after.length > 0) emit(after, 'stdout');
    });
    channel.stderr.on('data', (chunk: Buffer) => emit(chunk, 'stderr'));
    channel.on('exit', (exitCode: number | null, signalName?: string) => {
      code = exitCode;
      if (exitCode === null && signalName !== undefined) exitSignal = signalName;
    });
    channel.on('close', () => {
      closed = true;
      channelClosed.resolve();
      // Let stream events already queued land before the result is read.
      if (stopReason === null) setImmediate(finish);
    });
    const onClientClose = () => {
      connectionLost = true;
      if (!closed) {
        closed = true;
        channelClosed.resolve();
        if (stopReason === null) setImmediate(finish);
      }
    };
    client.once('close', onClientClose);

    const stop = async (reason: 'timeout' | 'abort') => {
      if (stopReason !== null || done) return;
      stopReason = reason;
      clearTimeout(timer);
      // The pid line comes before the command starts, so it is at most a round trip away.
      await within(Promise.race([pidKnown.promise, channelClosed.promise]), PID_WAIT_MS);
      // Not awaited: the kill script goes on alone on the host, KILLing whatever ignores TERM, while
      // the command's channel closes as soon as its shell is gone.
      if (pid !== null && !closed) void killRemote(client, pid, address).catch(() => undefined);
      if ((await within(channelClosed.promise, CLOSE_WAIT_MS)) === 'timeout') {
        channel.close();
        await within(channelClosed.promise, 1_000);
      }
      setImmediate(finish);
    };
    const onAbort = () => void stop('abort');
    const timer = Number.isFinite(opts.timeoutMs) ? setTimeout(() => void stop('timeout'), Math.min(Math.max(0, opts.timeoutMs), MAX_TIMER_MS)) : undefined;
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    function finish() {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      client.removeListener('close', onClientClose);
      if (head !== null && head.length > 0) emit(head, 'stdout');
      head = null;
      for (const stream of ['stdout', 'stderr'] as const) deliver(decoders[stream].end(), stream);

      if (stopReason === 'abort') return reject(opts.signal?.reason ?? new DOMException('The operation was aborted', 'AbortError'));
      if (connectionLost && stopReason === null && code === null && exitSignal === undefined) {
        return reject(new SshExecError(`the SSH connection to ${address} closed while a command was running`));
      }
      const result: ExecResult = {
        code,
        timedOut: stopReason === 'timeout',
        stdoutTail: tails.stdout.text(),
        stderrTail: tails.stderr.text(),
        durationMs: Math.round(performance.now() - started),
      };
      if (exitSignal !== undefined) result.signal = exitSignal;
      resolve(result);
    }

    // Commands that read stdin get EOF instead of waiting for input that never comes.
    channel.end();
    if (opts.signal?.aborted) onAbort();
  });
}
