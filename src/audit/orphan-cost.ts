// What an orphan costs: what it has accrued since it became one, and what it costs per day from now.
// Unknown prices stay unknown (null) rather than counting as zero: the report lists them.

import { accrued, hourlyCost } from '../cost/estimate.ts';
import type { Prices } from '../cost/prices.ts';
import type { FoundAsset } from './types.ts';

export interface OrphanCost {
  hourlyUsd: number | null;
  accruedUsd: number | null;
  dailyUsd: number | null;
  /** What could not be priced. */
  unknown: string[];
}

export function orphanCost(prices: Prices, asset: FoundAsset, ageMs: number): OrphanCost {
  let hourly = 0;
  const unknown: string[] = [];
  for (const item of asset.priced) {
    const line = hourlyCost(prices, item);
    if (line.hourly === null) unknown.push(line.unknown ?? `no price for ${item.kind}`);
    else hourly += line.hourly;
  }
  if (unknown.length > 0) return { hourlyUsd: null, accruedUsd: null, dailyUsd: null, unknown };
  return { hourlyUsd: hourly, accruedUsd: accrued(hourly, ageMs), dailyUsd: hourly * 24, unknown };
}
