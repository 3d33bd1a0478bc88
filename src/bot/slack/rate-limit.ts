// Slack's 429s. The Web API client is told to hand them back (rejectRateLimitedCalls) instead of
// pausing every call it makes; each caller then waits what Slack asked for, and a coalesced parent
// update re-renders the latest state when its wait is over instead of sending a stale one.
import { setTimeout as delay } from 'node:timers/promises';
import { webApi } from '@slack/bolt';

/** How long Slack asked us to wait, or null when the error is not a rate limit. */
export function retryAfterMs(err: unknown): number | null {
  if (!err || typeof err !== 'object') return null;
  const e = err as { code?: unknown; retryAfter?: unknown };
  if (e.code !== webApi.ErrorCode.RateLimitedError) return null;
  const seconds = typeof e.retryAfter === 'number' && Number.isFinite(e.retryAfter) ? e.retryAfter : 1;
  return Math.max(0, seconds) * 1000;
}

export interface RetryAfterOptions {
  /** Tries in all, the first included. */
  attempts?: number;
  /** Longest single wait honoured; a longer Retry-After gives up instead of holding the caller. */
  maxWaitMs?: number;
  sleep?: (ms: number) => Promise<unknown>;
}

/** Calls `fn`, waiting Slack's Retry-After and trying again when it is rate limited (bounded). */
export async function withRetryAfter<T>(fn: () => Promise<T>, opts: RetryAfterOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 4;
  const maxWaitMs = opts.maxWaitMs ?? 120_000;
  const sleep = opts.sleep ?? ((ms: number) => delay(ms));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (err) {
      const wait = retryAfterMs(err);
      if (wait === null || attempt >= attempts || wait > maxWaitMs) throw err;
      await sleep(wait);
    }
  }
}
