// What a CLI command does in the foreground around a run: a launch waits in the queue showing its place
// and an estimate, follows the run to its end, and tears it down when the terminal goes away (Ctrl-C,
// SIGHUP, SIGTERM) within a bound; and any command that touches the store first finishes what dead
// processes left behind when no server is there to do it.
import { formatDuration } from '../../domain/duration.ts';
import type { CommandExecutor, QueueStatus, Recovered } from '../../commands/executor.ts';
import type { Run } from '../../domain/run.ts';
import { EXIT_CODES } from '../../errors.ts';
import type { CliIo } from './io.ts';
import { fellShort, type Outcome } from './output.ts';
import { waitingText } from './render.ts';
import { aboutDuration } from '../../commands/estimate-text.ts';

type Commands = Pick<CommandExecutor, 'follow' | 'interrupt' | 'queueStatus' | 'recoverAbandoned' | 'drives' | 'view'>;

/** The signals that end a foreground launch as Ctrl-C does: a closed terminal, `kill`, `docker stop`. */
export const STOP_SIGNALS = ['SIGINT', 'SIGHUP', 'SIGTERM'] as const;
type StopSignal = (typeof STOP_SIGNALS)[number];

/** 128 + the signal's number, as shells report a process a signal ended (EXIT_CODES). */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: EXIT_CODES.interrupted, SIGHUP: EXIT_CODES.hangup, SIGTERM: EXIT_CODES.terminated };

/** A launch that stopped waiting for its run's teardown (the bound, or the signal again). */
export function signalledOutcome(runId: string, code: number | null): Outcome {
  return fellShort('launch', null, '', [`run ${runId} was cancelled; its teardown goes on without this process (the next stagebot command or a server finishes it)`], code ?? EXIT_CODES.failed);
}

/** How long a signalled launch waits for its teardown before it stops waiting (a supervisor's kill follows soon). */
export const SIGNAL_TEARDOWN_BOUND_MS = 60_000;

/** How often a queued launch looks at its place in the queue. */
const QUEUE_POLL_MS = 2_000;

export interface ForegroundOptions {
  /** Who cancels on a signal: the requester, with the signal named. */
  requester: string;
  /** Tests: the process to listen on (default: this one). */
  signals?: Pick<NodeJS.Process, 'on' | 'off'>;
  boundMs?: number;
  pollMs?: number;
}

/** A line on stderr that never throws: after SIGHUP the terminal may be gone. */
function say(io: CliIo, line: string): void {
  try {
    io.stderr.write(`${line}\n`);
  } catch {
    // nobody is reading any more
  }
}

function signalName(sig: StopSignal): string {
  return sig === 'SIGINT' ? 'Ctrl-C' : sig;
}

/**
 * `run … is queued (position 2; stg1 is in use by run …; starts in ~12 min)`: its place,
 * what it waits for (`why`, the environments' locks), and an estimate when there is one to make.
 */
export function queueLine(runId: string, q: QueueStatus, why: string | null): string {
  const when = q.heldBy ? (why ? 'starts when it is unlocked' : `starts when ${q.heldBy} unlocks it`) : q.etaMs === null ? 'no recent runs to estimate from' : q.etaMs < 30_000 ? 'starts any moment' : `starts in ${aboutDuration(q.etaMs)}`;
  return `stagebot: run ${runId} is queued (position ${q.position}${why ? `; ${why}` : ''}; ${when}); waiting — Ctrl-C leaves the queue`;
}

async function describeQueued(commands: Commands, runId: string, q: QueueStatus): Promise<string> {
  const why = await commands.view(runId).then((v) => waitingText(v.waitingFor)).catch(() => null);
  return queueLine(runId, q, why);
}

/**
 * Follows a launched run to its end in the foreground. Returns the finished (or kept) run, or the exit
 * code when a signal ended the wait before the run ended (`signal` is then set).
 */
export async function followInForeground(
  commands: Commands,
  runId: string,
  queued: QueueStatus | null,
  io: CliIo,
  opts: ForegroundOptions,
): Promise<{ run: Run | null; signal: StopSignal | null; code: number | null }> {
  const signals = opts.signals ?? process;
  const boundMs = opts.boundMs ?? SIGNAL_TEARDOWN_BOUND_MS;
  let signalled: StopSignal | null = null;
  let giveUp!: (code: number) => void;
  const gaveUp = new Promise<number>((resolve) => (giveUp = resolve));
  let bound: NodeJS.Timeout | null = null;
  let inQueue = queued !== null;

  const onSignal = (sig: StopSignal) => {
    if (signalled) {
      say(io, `stagebot: ${signalName(sig)} again: not waiting for ${runId} any more; the next stagebot command (or a server) finishes it`);
      giveUp(SIGNAL_EXIT_CODES[signalled]);
      return;
    }
    signalled = sig;
    say(io, inQueue ? `\nstagebot: ${signalName(sig)}: leaving the queue; ${runId} is cancelled and nothing is launched` : `\nstagebot: ${signalName(sig)}: cancelling ${runId} and tearing it down (waiting at most ${formatDuration(boundMs)}; ${signalName(sig)} again to stop waiting)`);
    // Who and how, as every front shows a cancel: the operator, by Ctrl-C or a signal.
    void commands.interrupt(runId, opts.requester, sig === 'SIGINT' ? 'Ctrl-C in the terminal' : sig).catch(() => undefined);
    bound = setTimeout(() => {
      say(io, `stagebot: ${runId} is still tearing down after ${formatDuration(boundMs)}; stopping here — the next stagebot command (or a server) finishes it`);
      giveUp(SIGNAL_EXIT_CODES[sig]);
    }, boundMs);
  };
  const handlers = STOP_SIGNALS.map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, handler] of handlers) signals.on(sig, handler);

  let last = queued ? await describeQueued(commands, runId, queued) : '';
  if (queued) say(io, last);
  const watch = queued
    ? setInterval(() => {
        void commands
          .queueStatus(runId)
          .then((q) => {
            inQueue = q !== null;
            if (!q) return clearInterval(watch!);
            return describeQueued(commands, runId, q).then((line) => {
              if (line !== last) say(io, (last = line));
            });
          })
          .catch(() => undefined);
      }, opts.pollMs ?? QUEUE_POLL_MS)
    : null;

  try {
    const outcome = await Promise.race([commands.follow(runId).then((run) => ({ run })), gaveUp.then((code) => ({ code }))]);
    if ('code' in outcome) return { run: null, signal: signalled, code: outcome.code };
    return { run: outcome.run, signal: signalled, code: signalled ? SIGNAL_EXIT_CODES[signalled] : null };
  } finally {
    for (const [sig, handler] of handlers) signals.off(sig, handler);
    if (bound) clearTimeout(bound);
    if (watch) clearInterval(watch);
  }
}

/**
 * Before a command that touches the store: when no server shares it, runs whose process died are
 * finished here (torn down, or resumed per runs.onAdopt or after a handover), kept runs whose time is up
 * torn down, and queued runs whose requester died dropped — each said on stderr, with its end.
 */
export async function finishAbandoned(commands: Commands, io: CliIo, except?: string): Promise<void> {
  const taken: Recovered[] = await commands.recoverAbandoned(except);
  for (const t of taken) {
    if (t.action === 'drop') {
      say(io, `stagebot: run ${t.run.id} ${t.reason}`);
      continue;
    }
    const doing = t.action === 'resume' ? 'resuming it here' : 'tearing it down here';
    say(io, `stagebot: run ${t.run.id} was left ${t.run.state} (${t.reason}) and no server shares this store; ${doing}`);
  }
  for (const t of taken) {
    if (t.action === 'drop' || !commands.drives(t.run.id)) continue;
    const run = await commands.follow(t.run.id);
    say(io, `stagebot: run ${run.id} ${endLine(run)}`);
  }
}

/** `torn down at 14:02:11: cancelled — cancelled by cli:alice`. */
export function endLine(run: Run): string {
  const at = (run.finishedAt ?? new Date()).toISOString().slice(11, 19);
  if (run.state === 'kept') return `is kept until ${run.expiresAt?.toISOString() ?? 'its expiry'}`;
  return `finished at ${at} UTC: ${run.state}${run.error ? ` — ${run.error}` : ''}`;
}
