// What each environment's warm pool costs while it waits and what it buys (issue 14), for `cost`, the
// daily report and `list`: its members (the store's ready and preparing ones; the configured size when
// it has none yet) priced as poolStandingCost prices them, beside the minutes a warm launch saves by
// the step-time history (median launch + service-update of cold launches against warm ones).
import type { Config } from '../config/index.ts';
import { formatUsd } from '../cost/estimate.ts';
import { poolStandingCost } from '../cost/pool-cost.ts';
import type { Prices } from '../cost/prices.ts';
import type { Store } from '../store/index.ts';

export type PoolStandingStore = Pick<Store, 'listPoolMembers' | 'launchPathHistory'>;

export interface PoolStanding {
  env: string;
  mode: 'stopped' | 'running';
  /** The configured size. */
  size: number;
  /** Members the figure is for: ready and preparing ones in the store, else the configured size. */
  members: number;
  /** False when the store has no member yet: the figure is for the configured size. */
  fromStore: boolean;
  /** The store's members by state: ready to be claimed, and still being prepared. */
  ready: number;
  preparing: number;
  /** USD a day, averaged over the week by the pool's hours; null when unpriced. */
  perDayUsd: number | null;
  /** Hours a week the pool is kept full (168 without hours). */
  hoursPerWeek: number;
  unknown: string[];
  /** Median cold minus median warm launch + service-update, ms; null without warm (or cold) launches in the history. */
  savedMs: number | null;
  warmLaunches: number;
  coldLaunches: number;
}

function lowerMedian(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** One entry per environment with a warmPool, in configuration order (or only `only`). */
export async function poolStandings(store: PoolStandingStore, config: Config, prices: Prices, only: string | null = null): Promise<PoolStanding[]> {
  const out: PoolStanding[] = [];
  for (const env of Object.values(config.environments)) {
    const pool = env.warmPool;
    if (!pool || (only !== null && env.name !== only)) continue;
    const [members, history] = await Promise.all([store.listPoolMembers(env.name, ['ready', 'preparing']), store.launchPathHistory(env.name)]);
    const count = members.length > 0 ? members.length : pool.size;
    const cost = poolStandingCost(prices, { ...env, warmPool: { ...pool, size: count } });
    const warm = history.filter((h) => h.warm).map((h) => h.launchMs + h.serviceUpdateMs);
    const cold = history.filter((h) => !h.warm).map((h) => h.launchMs + h.serviceUpdateMs);
    const w = lowerMedian(warm);
    const c = lowerMedian(cold);
    out.push({
      env: env.name,
      mode: pool.mode,
      size: pool.size,
      members: count,
      fromStore: members.length > 0,
      ready: members.filter((m) => m.state === 'ready').length,
      preparing: members.filter((m) => m.state === 'preparing').length,
      perDayUsd: cost.perDayUsd,
      hoursPerWeek: cost.hoursPerWeek,
      unknown: cost.unknown,
      savedMs: w === null || c === null ? null : Math.max(0, c - w),
      warmLaunches: warm.length,
      coldLaunches: cold.length,
    });
  }
  return out;
}

/** `~27 min`: an estimate, rounded to minutes. */
function minutes(ms: number): string {
  return `~${Math.max(0, Math.round(ms / 60_000))} min`;
}

/**
 * `pool stg1: 2 stopped members, $1.05/day · a warm launch saves ~27 min (median of 3 warm, 10 cold launches)`,
 * or `… · no warm launches yet`. Plain text: each front escapes it for its own markup.
 */
export function poolStandingLine(p: PoolStanding): string {
  const members = p.fromStore ? `${p.members} ${p.mode} member${p.members === 1 ? '' : 's'}` : `${p.members} ${p.mode} member${p.members === 1 ? '' : 's'} wanted, none prepared yet`;
  const hours = p.hoursPerWeek < 168 ? ` (kept full ${p.hoursPerWeek} h a week)` : '';
  const money = p.perDayUsd === null ? `cost unknown (${p.unknown.join('; ')})` : `${formatUsd(p.perDayUsd)}/day${p.fromStore ? '' : ' once full'}${hours}`;
  const saved =
    p.warmLaunches === 0
      ? 'no warm launches yet'
      : p.savedMs === null
        ? `${p.warmLaunches} warm launch${p.warmLaunches === 1 ? '' : 'es'}, no cold one to compare with`
        : `a warm launch saves ${minutes(p.savedMs)} (median of ${p.warmLaunches} warm, ${p.coldLaunches} cold launch${p.coldLaunches === 1 ? '' : 'es'})`;
  return `pool ${p.env}: ${members}, ${money} · ${saved}`;
}
