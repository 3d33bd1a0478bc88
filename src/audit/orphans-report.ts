// What the dashboard's Orphans page shows: the last finished sweep (flagged when it could not look
// everywhere), the orphans it listed, and what sweeps reaped lately with what it had cost.
import type { Store } from '../store/index.ts';
import type { ReapedAsset, Sweep } from '../store/types.ts';
import type { OrphanEntry, SweepMode } from './types.ts';

export interface SweepView {
  id: number;
  startedAt: Date;
  finishedAt: Date;
  mode: SweepMode;
  regions: string[];
  orphans: number;
  dailyCostUsd: number | null;
  accruedCostUsd: number | null;
  dueCount: number;
  reaped: number;
  needsConfirmation: boolean;
  /** The sweep could not look everywhere (or could not act): its figures may be short. */
  incomplete: boolean;
  /** What went wrong, one line each. */
  errors: string[];
}

export interface OrphansReport {
  lastSweep: SweepView | null;
  /** The orphans of the latest sweep that listed them (as of `orphansAsOf`), costliest first. */
  orphans: OrphanEntry[];
  orphansAsOf: Date | null;
  /** Reaped since `reapedSince`, newest first. */
  reaped: ReapedAsset[];
  reapedSince: Date;
  reapedUsd: number;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** A stored sweep's summary (sweep.ts sweepSummary) read defensively: older rows may lack fields. */
export function sweepView(sweep: Sweep): SweepView | null {
  const s = sweep.summary;
  if (!s || !sweep.finishedAt) return null;
  // What it could not look at (sweep.ts `incompleteLines`), then what failed.
  const errors = [...strings(s.incompleteLines), ...strings(s.errors)];
  return {
    id: sweep.id,
    startedAt: sweep.startedAt,
    finishedAt: sweep.finishedAt,
    mode: s.mode === 'reap' ? 'reap' : 'dry-run',
    regions: strings(s.regions),
    orphans: num(s.orphans) ?? 0,
    dailyCostUsd: num(s.dailyCostUsd),
    accruedCostUsd: num(s.accruedCostUsd),
    dueCount: num(s.dueCount) ?? 0,
    reaped: num(s.reaped) ?? 0,
    needsConfirmation: s.needsConfirmation === true,
    // A sweep that says so (`complete`), or, in rows older than that field, one that met errors.
    incomplete: typeof s.complete === 'boolean' ? !s.complete : typeof s.incomplete === 'boolean' ? s.incomplete : errors.length > 0,
    errors,
  };
}

export async function orphansReport(
  store: Pick<Store, 'listSweeps' | 'reapedSince'>,
  last: { at: Date; orphans: OrphanEntry[] } | null,
  opts: { now: Date; reapedWindowMs: number },
): Promise<OrphansReport> {
  const sweeps = await store.listSweeps(20);
  const finished = sweeps.map(sweepView).find((v) => v !== null) ?? null;
  const reapedSince = new Date(opts.now.getTime() - opts.reapedWindowMs);
  const reaped = (await store.reapedSince(reapedSince)).reverse();
  return {
    lastSweep: finished,
    orphans: last?.orphans ?? [],
    orphansAsOf: last?.at ?? null,
    reaped,
    reapedSince,
    reapedUsd: reaped.reduce((n, r) => n + r.costUsd, 0),
  };
}
