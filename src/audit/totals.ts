// Totals of a list of orphans: per kind and overall. Unknown costs count as nothing here; the report
// lists them separately (SweepReport.unpriced), so a total is never silently an underestimate.

import type { AssetKind } from '../domain/asset.ts';
import type { KindTotal, OrphanEntry } from './types.ts';

export interface OrphanTotals {
  byKind: Partial<Record<AssetKind, KindTotal>>;
  dailyUsd: number;
  accruedUsd: number;
}

export function summarizeOrphans(orphans: readonly OrphanEntry[]): OrphanTotals {
  const out: OrphanTotals = { byKind: {}, dailyUsd: 0, accruedUsd: 0 };
  for (const o of orphans) {
    const t = (out.byKind[o.kind] ??= { count: 0, dailyUsd: 0, accruedUsd: 0 });
    t.count++;
    t.dailyUsd += o.dailyUsd ?? 0;
    t.accruedUsd += o.accruedUsd ?? 0;
    out.dailyUsd += o.dailyUsd ?? 0;
    out.accruedUsd += o.accruedUsd ?? 0;
  }
  return out;
}
