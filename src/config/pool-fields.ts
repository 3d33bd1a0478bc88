// The warm pool's settings: how many prepared members an environment keeps, stopped or running,
// how old one may get, the ref they are prepared at, and the hours the pool is kept full.

import * as z from 'zod';
import { expected } from './messages.ts';
import { int, list, matching, oneOf, strictObject } from './fields.ts';
import { duration } from './time-fields.ts';
import type { PoolHoursWindow } from './types.ts';

export const POOL_MODES = ['stopped', 'running'] as const;
export const POOL_MAX_SIZE = 20;
const DEFAULT_MAX_AGE = 24 * 3_600_000;

const HOURS_HINT = 'a window "FROM-TO DAYS" in hours and cron days of week, like "7-19 1-5" (07:00 to 19:00, Monday to Friday) or "0-24 *"';
const HOURS_PATTERN = /^\s*(\d{1,2})-(\d{1,2})\s+(\*|[0-7](?:-[0-7])?(?:,[0-7](?:-[0-7])?)*)\s*$/;

/** One `hours` window: hours [from, to) on the given days (0 = Sunday; cron's 7 is Sunday too). */
function hoursWindow() {
  return z.string({ error: (iss) => expected(HOURS_HINT, iss.input) }).transform((value, ctx): PoolHoursWindow => {
    const m = HOURS_PATTERN.exec(value);
    const from = Number(m?.[1]);
    const to = Number(m?.[2]);
    if (!m || from >= to || to > 24) {
      ctx.addIssue({ code: 'custom', message: expected(HOURS_HINT, value), input: value });
      return z.NEVER;
    }
    const days = new Set<number>();
    for (const part of m[3] === '*' ? ['0-6'] : m[3]!.split(',')) {
      const [a, b = a] = part.split('-').map(Number) as [number, number?];
      if (b! < a) {
        ctx.addIssue({ code: 'custom', message: expected(HOURS_HINT, value), input: value });
        return z.NEVER;
      }
      for (let d = a; d <= b!; d++) days.add(d % 7);
    }
    return { from, to, days: [...days].sort() };
  });
}

export const warmPoolSchema = strictObject({
  size: int(1, POOL_MAX_SIZE, `a pool size from 1 to ${POOL_MAX_SIZE}`),
  mode: oneOf(POOL_MODES, 'pool mode').default('stopped'),
  maxAge: duration().default(DEFAULT_MAX_AGE),
  baseRef: matching(/^[A-Za-z0-9][\w./-]{0,199}$/, 'a git ref like main'),
  hours: list(hoursWindow(), HOURS_HINT, 1).optional(),
});

/** True when `at` falls in one of the windows, read in `timeZone` (no windows: always). */
export function inPoolHours(windows: readonly PoolHoursWindow[] | undefined, at: Date, timeZone: string): boolean {
  if (!windows) return true;
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23', weekday: 'short' }).formatToParts(at);
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(parts.find((p) => p.type === 'weekday')?.value ?? '');
  return windows.some((w) => w.days.includes(day) && hour >= w.from && hour < w.to);
}
