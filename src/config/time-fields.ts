// Durations, cron schedules and time zones.

import { validateDetailed } from 'node-cron';
import * as z from 'zod';
import { DURATION_HINT, formatDuration, parseDuration } from '../domain/duration.ts';
import { describeValue, expected } from './messages.ts';

/** `90m`, `2h`, `1h30m` -> milliseconds. */
export function duration() {
  return z.string({ error: (iss) => expected(DURATION_HINT, iss.input) }).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: expected(DURATION_HINT, value), input: value });
      return z.NEVER;
    }
    return ms;
  });
}

/** A duration of at most `maxMs`; `why` says what a longer one would mean. */
export function durationAtMost(maxMs: number, why: string) {
  return duration().superRefine((ms, ctx) => {
    if (ms > maxMs) ctx.addIssue({ code: 'custom', message: `${formatDuration(ms)} is too long: ${why} (at most ${formatDuration(maxMs)})`, input: ms });
  });
}

/** A duration from `minMs` to `maxMs`; `why` says what the bounds protect. */
export function durationBetween(minMs: number, maxMs: number, why: string) {
  return duration().superRefine((ms, ctx) => {
    if (ms < minMs || ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `${formatDuration(ms)} is out of range: ${why} (valid: ${formatDuration(minMs)} to ${formatDuration(maxMs)})`, input: ms });
    }
  });
}

export function cronSchedule() {
  const fields = 'minute hour day-of-month month day-of-week, like "0 7 * * 1-5"';
  return z.string({ error: (iss) => expected(`a cron schedule (${fields})`, iss.input) }).superRefine((value, ctx) => {
    const result = validateDetailed(value);
    if (result.valid) return;
    const why = result.errors.map((e) => e.message.replace(/\ba invalid\b/g, 'an invalid')).join('; ');
    ctx.addIssue({ code: 'custom', message: `invalid cron schedule ${describeValue(value)}: ${why} (valid: ${fields})` });
  });
}

/** An IANA zone as Intl knows it, returned in canonical spelling (`europe/berlin` -> `Europe/Berlin`). */
export function timeZone() {
  const hint = 'an IANA time zone like Europe/Berlin or UTC';
  return z.string({ error: (iss) => expected(hint, iss.input) }).transform((value, ctx) => {
    try {
      return new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
    } catch {
      ctx.addIssue({ code: 'custom', message: `unknown time zone ${describeValue(value)} (expected ${hint})`, input: value });
      return z.NEVER;
    }
  });
}
