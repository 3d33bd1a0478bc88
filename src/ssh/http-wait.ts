// "Wait until the service answers", checked ON the host: the URL is usually localhost there,
// unreachable from the bot. Each try is one curl over SSH; the URL goes through the shell
// quoter like every other value.

import { formatDuration } from '../domain/duration.ts';
import type { ExecResult } from './exec.ts';
import type { RemoteExec } from './session.ts';
import { shellQuote } from './shell-quote.ts';
import { abortableSleep, type Sleep } from './sleep.ts';

/** `empty-reply` is what a cold-started SPA does; recipes restart the service on it. */
export type HttpOutcome = 'ok' | 'wrong-status' | 'empty-reply' | 'refused' | 'timeout' | 'error';

export interface HttpAttempt {
  attempt: number;
  attempts: number;
  outcome: HttpOutcome;
  /** HTTP status, or null when no response came back. */
  status: number | null;
  /** `HTTP 503`, `empty reply`, `connection refused`... */
  detail: string;
}

export interface HttpWaitOptions {
  url: string;
  expectStatus: number;
  /** At most this many tries (the recipe's `retries`), at least 1. */
  attempts: number;
  /** Pause after each failed try. */
  intervalMs: number;
  /** curl's --max-time for one try. */
  requestTimeoutMs: number;
  signal?: AbortSignal;
  onAttempt?: (attempt: HttpAttempt) => void;
  /** Injectable so tests need not wait; must reject with `signal.reason` when aborted. */
  sleep?: Sleep;
}

export interface HttpWaitResult {
  ok: boolean;
  /** Tries made. */
  attempts: number;
  lastStatus: number | null;
  lastOutcome: HttpOutcome;
  lastDetail: string;
  durationMs: number;
  /** One line for the report. */
  message: string;
}

/** curl's exit codes that mean something to a person waiting for a service. */
const CURL_EXITS: Record<number, { outcome: HttpOutcome; detail: string }> = {
  7: { outcome: 'refused', detail: 'connection refused' },
  28: { outcome: 'timeout', detail: 'no answer in time' },
  52: { outcome: 'empty-reply', detail: 'empty reply' },
  56: { outcome: 'error', detail: 'connection reset' },
};
/** Slack on top of curl's own bound before the SSH exec is considered hung. */
const EXEC_SLACK_MS = 15_000;

function seconds(ms: number): string {
  // curl reads fractions with a dot whatever the locale.
  return ms % 1_000 === 0 ? String(ms / 1_000) : (ms / 1_000).toFixed(3);
}

/** The command run on the host; prints only the status code (000 when nothing came back). */
export function curlCommand(url: string, requestTimeoutMs: number): string {
  // -q first: a ~/.curlrc on the host must not change what we measure. -g: {} and [] in a URL are
  // characters, not curl's globbing. --url: a URL is never taken for an option.
  return `curl -q -g -sS -o /dev/null -w '%{http_code}' --max-time ${seconds(requestTimeoutMs)} --url ${shellQuote(url)}`;
}

function classify(result: ExecResult, expectStatus: number, requestTimeoutMs: number): Omit<HttpAttempt, 'attempt' | 'attempts'> & { fatal: boolean } {
  const parsed = Number.parseInt(result.stdoutTail.trim().slice(-3), 10);
  const status = Number.isNaN(parsed) || parsed === 0 ? null : parsed;
  if (result.timedOut) return { outcome: 'timeout', status, detail: `no answer within ${formatDuration(requestTimeoutMs)}`, fatal: false };
  if (result.code === 0 && status === expectStatus) return { outcome: 'ok', status, detail: `HTTP ${status}`, fatal: false };
  if (result.code === 0) return { outcome: 'wrong-status', status, detail: status === null ? 'no status' : `HTTP ${status}`, fatal: false };
  if (result.code === 127) return { outcome: 'error', status, detail: 'curl is not installed on the host', fatal: true };
  const known = result.code === null ? undefined : CURL_EXITS[result.code];
  if (known !== undefined) return { ...known, status, fatal: false };
  const said = result.stderrTail.trim().split('\n').pop() ?? '';
  const why = result.code === null ? 'curl was killed' : `curl exit code ${result.code}`;
  return { outcome: 'error', status, detail: said === '' ? why : `${why}: ${said}`, fatal: false };
}

export async function waitForHttp(session: RemoteExec, opts: HttpWaitOptions): Promise<HttpWaitResult> {
  const attempts = Math.max(1, Math.floor(opts.attempts));
  const sleep = opts.sleep ?? abortableSleep;
  const started = performance.now();
  const command = curlCommand(opts.url, opts.requestTimeoutMs);
  let last: ReturnType<typeof classify> = { outcome: 'error', status: null, detail: 'not tried', fatal: false };
  let made = 0;

  while (made < attempts) {
    opts.signal?.throwIfAborted();
    made++;
    const exec: { timeoutMs: number; signal?: AbortSignal } = { timeoutMs: opts.requestTimeoutMs + EXEC_SLACK_MS };
    if (opts.signal !== undefined) exec.signal = opts.signal;
    const result = await session.exec(command, exec);
    last = classify(result, opts.expectStatus, opts.requestTimeoutMs);
    opts.onAttempt?.({ attempt: made, attempts, outcome: last.outcome, status: last.status, detail: last.detail });
    if (last.outcome === 'ok' || last.fatal) break;
    if (made < attempts) await sleep(opts.intervalMs, opts.signal);
  }

  const durationMs = Math.round(performance.now() - started);
  const tries = `${made} attempt${made === 1 ? '' : 's'}`;
  const ok = last.outcome === 'ok';
  const message = ok
    ? `${opts.url} answered ${opts.expectStatus} after ${tries} (${formatDuration(durationMs)})`
    : `${opts.url} did not answer ${opts.expectStatus} after ${tries} over ${formatDuration(durationMs)}: ${last.detail}`;
  return { ok, attempts: made, lastStatus: last.status, lastOutcome: last.outcome, lastDetail: last.detail, durationMs, message };
}
