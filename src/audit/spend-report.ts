// What the dashboard's Spend page shows: a window's cost by environment, by requester and by day,
// runs and orphans apart, from one pricing pass (cost-report.ts) so the three views add up alike.
import type { Config } from '../config/types.ts';
import type { Prices } from '../cost/prices.ts';
import type { Store } from '../store/index.ts';
import { groupCosts, priceWindow, type CostLineGroup } from './cost-report.ts';
import type { OrphanEntry } from './types.ts';

const DAY_MS = 86_400_000;

/** One UTC day's cost. */
export interface DaySpend {
  /** `YYYY-MM-DD` (UTC). */
  day: string;
  runUsd: number;
  orphanUsd: number;
}

export interface SpendReport {
  since: Date;
  until: Date;
  byEnv: CostLineGroup[];
  byUser: CostLineGroup[];
  /** Every day of the window, oldest first (days without cost included, as zeros). */
  daily: DaySpend[];
  total: CostLineGroup;
  /** What could not be priced (left out of the sums). */
  unknown: string[];
  /** When the sweep whose orphans are counted ran; null: no sweep yet, orphans not counted. */
  orphansAsOf: Date | null;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function spendReport(
  store: Store,
  config: Config,
  prices: Prices,
  opts: { days: number; now: Date; orphansAsOf: Date | null },
  orphans: readonly OrphanEntry[],
): Promise<SpendReport> {
  const window = await priceWindow(store, config, prices, { sinceMs: opts.days * DAY_MS, now: opts.now, withReaped: true }, orphans);
  const byEnv = groupCosts(window, (run) => run.env ?? '(no environment)', (o) => o.env ?? '(no environment)');
  const byUser = groupCosts(window, (run) => run.requester, (o) => o.requester ?? '(unknown)');

  const days = new Map<string, DaySpend>();
  const untilMs = window.until.getTime();
  for (let ms = Math.floor(window.since.getTime() / DAY_MS) * DAY_MS; ms <= untilMs; ms += DAY_MS) {
    days.set(dayOf(ms), { day: dayOf(ms), runUsd: 0, orphanUsd: 0 });
  }
  // A run's cost counts on the day it was created; a reaped orphan's on the day it was reaped; a
  // standing orphan's is spread over the days it stood.
  for (const { run, usd } of window.runs) {
    const d = days.get(dayOf(run.createdAt.getTime()));
    if (d) d.runUsd += usd;
  }
  for (const { asset } of window.reaped) {
    const d = days.get(dayOf(asset.reapedAt.getTime()));
    if (d) d.orphanUsd += asset.costUsd;
  }
  for (const { entry, usd, fromMs } of window.orphans) {
    if (usd === null || entry.dailyUsd === null) continue;
    for (let start = Math.floor(fromMs / DAY_MS) * DAY_MS; start < untilMs; start += DAY_MS) {
      const overlap = Math.min(untilMs, start + DAY_MS) - Math.max(fromMs, start);
      const d = days.get(dayOf(start));
      if (d && overlap > 0) d.orphanUsd += (entry.dailyUsd * overlap) / DAY_MS;
    }
  }
  return {
    since: window.since,
    until: window.until,
    byEnv: byEnv.groups,
    byUser: byUser.groups,
    daily: [...days.values()],
    total: byEnv.total,
    unknown: window.unknown,
    orphansAsOf: opts.orphansAsOf,
  };
}
