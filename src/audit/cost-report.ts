// What runs and orphans cost over a window, in total or grouped by environment or by who launched.
// Run costs come from the store's record of each run's assets (src/cost/run-cost.ts `runCost`,
// the same figure a run's final report shows); orphans add what they cost within the window, unless
// their run's record already counts them. Every orphan of the sweep is counted either way: `cost` and
// the sweep that found them must agree on how many there are.

import type { CostGroup as CostGrouping } from '../domain/cost-group.ts';
import type { Config } from '../config/types.ts';
import type { Prices } from '../cost/prices.ts';
import type { Run } from '../domain/run.ts';
import { runIdEnv } from '../domain/run-id.ts';
import type { ReapedAsset } from '../store/types.ts';
import type { Store } from '../store/index.ts';
import { storedRunCost } from './stored-run-cost.ts';
import type { OrphanEntry } from './types.ts';

export const DEFAULT_COST_WINDOW_MS = 7 * 86_400_000;

export interface CostReportOptions {
  /** How far back (a duration); null: DEFAULT_COST_WINDOW_MS. */
  sinceMs: number | null;
  by: CostGrouping | null;
  /** Default: the wall clock. */
  now?: Date;
}

export interface CostLineGroup {
  /** The environment, the requester (`slack:U123`), or `all`. */
  key: string;
  runs: number;
  runUsd: number;
  /** Every orphan of the last complete sweep in this group, as that sweep counted them. */
  orphans: number;
  /** Of those, the ones whose run (in the window) already prices them: their cost is in `runUsd`, not `orphanUsd`. */
  orphansInRunCost: number;
  orphanUsd: number;
  totalUsd: number;
}

export interface CostReport {
  since: Date;
  until: Date;
  by: CostGrouping | null;
  /** Most expensive first; one group `all` when not grouped. */
  groups: CostLineGroup[];
  total: CostLineGroup;
  /** What could not be priced (left out of the sums). */
  unknown: string[];
}

const emptyGroup = (key: string): CostLineGroup => ({ key, runs: 0, runUsd: 0, orphans: 0, orphansInRunCost: 0, orphanUsd: 0, totalUsd: 0 });

function runKey(run: Run, by: CostGrouping | null): string {
  if (by === 'env') return run.env ?? '(no environment)';
  if (by === 'user') return run.requester;
  return 'all';
}

function orphanKey(o: Owner, by: CostGrouping | null): string {
  if (by === 'env') return o.env ?? '(no environment)';
  if (by === 'user') return o.requester ?? '(unknown)';
  return 'all';
}

/** Each run of a window and each orphan with what it cost inside the window: the one pricing pass every grouping reads. */
export interface PricedWindow {
  since: Date;
  until: Date;
  runs: { run: Run; usd: number }[];
  /**
   * Every orphan of the sweep. `usd` null: its price is unknown (listed in `unknown`, left out of the
   * sums); `inRunCost`: its run (in the window) already prices it, so `usd` is 0 here.
   */
  orphans: { entry: OrphanEntry; usd: number | null; fromMs: number; inRunCost: boolean }[];
  /** Orphans reaped inside the window, with what they had cost (only when asked for). */
  reaped: { asset: ReapedAsset; env: string | null }[];
  unknown: string[];
}

/** Who an orphan's cost is put down to. */
type Owner = { env: string | null; requester: string | null };

export async function priceWindow(
  store: Store,
  config: Config,
  prices: Prices,
  opts: { sinceMs: number | null; now?: Date; withReaped?: boolean },
  orphans: readonly OrphanEntry[] = [],
): Promise<PricedWindow> {
  const until = opts.now ?? new Date();
  const windowMs = opts.sinceMs ?? DEFAULT_COST_WINDOW_MS;
  const since = new Date(until.getTime() - windowMs);
  const unknown = new Set<string>();
  const countedAssets = new Set<string>();
  const runs: PricedWindow['runs'] = [];
  for (const run of await store.listRuns({ since })) {
    const cost = await storedRunCost(store, config, prices, run, until);
    runs.push({ run, usd: cost.usd ?? 0 });
    for (const u of cost.unknown) unknown.add(`run ${run.id}: ${u}`);
    for (const line of cost.lines) countedAssets.add(line.what);
  }
  const priced: PricedWindow['orphans'] = [];
  for (const o of orphans) {
    // Only what it cost inside the window.
    const ms = Math.min(o.ageMs, windowMs);
    // Counted either way (the sweep counted it); its run's cost runs until the asset is deleted, so
    // its money is there already and adding it again would count it twice.
    if (countedAssets.has(`${o.kind} ${o.id}`)) {
      priced.push({ entry: o, usd: 0, fromMs: until.getTime() - ms, inRunCost: true });
      continue;
    }
    if (o.dailyUsd === null) unknown.add(`orphan ${o.kind} ${o.id}: price unknown`);
    priced.push({ entry: o, usd: o.dailyUsd === null ? null : (o.dailyUsd / 86_400_000) * ms, fromMs: until.getTime() - ms, inRunCost: false });
  }
  // What was reaped had cost money too (until the sweep that reaped it): unless its run's record counts it.
  const reaped = opts.withReaped
    ? (await store.reapedSince(since)).filter((r) => !countedAssets.has(`${r.kind} ${r.assetId}`)).map((asset) => ({ asset, env: asset.runId ? runIdEnv(asset.runId) : null }))
    : [];
  return { since, until, runs, orphans: priced, reaped, unknown: [...unknown].sort() };
}

/** The window's costs grouped by `runKey` / `orphanKey`, most expensive first, and their total. */
export function groupCosts(
  window: PricedWindow,
  runKey: (run: Run) => string,
  orphanKey: (o: Owner) => string,
): { groups: CostLineGroup[]; total: CostLineGroup } {
  const groups = new Map<string, CostLineGroup>();
  const group = (key: string) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = emptyGroup(key)));
    return g;
  };
  for (const { run, usd } of window.runs) {
    const g = group(runKey(run));
    g.runs++;
    g.runUsd += usd;
  }
  for (const { entry, usd, inRunCost } of window.orphans) {
    const g = group(orphanKey(entry));
    g.orphans++;
    if (inRunCost) g.orphansInRunCost++;
    g.orphanUsd += usd ?? 0;
  }
  for (const { asset, env } of window.reaped) {
    const g = group(orphanKey({ env, requester: null }));
    g.orphans++;
    g.orphanUsd += asset.costUsd;
  }
  const list = [...groups.values()];
  const total = emptyGroup('total');
  for (const g of list) {
    g.totalUsd = g.runUsd + g.orphanUsd;
    total.runs += g.runs;
    total.runUsd += g.runUsd;
    total.orphans += g.orphans;
    total.orphansInRunCost += g.orphansInRunCost;
    total.orphanUsd += g.orphanUsd;
  }
  total.totalUsd = total.runUsd + total.orphanUsd;
  list.sort((a, b) => b.totalUsd - a.totalUsd || a.key.localeCompare(b.key));
  return { groups: list, total };
}

export async function costReport(
  store: Store,
  config: Config,
  prices: Prices,
  opts: CostReportOptions,
  orphans: readonly OrphanEntry[] = [],
): Promise<CostReport> {
  const window = await priceWindow(store, config, prices, opts, orphans);
  const { groups, total } = groupCosts(window, (run) => runKey(run, opts.by), (o) => orphanKey(o, opts.by));
  return { since: window.since, until: window.until, by: opts.by, groups, total, unknown: window.unknown };
}
