// What an asset costs: per hour now, and accrued over a span. Used for a run's final cost and for
// pricing orphans in the sweeper.
import { HOURS_PER_MONTH } from './price-table.ts';
import type { Prices } from './prices.ts';

export type Priced =
  | { kind: 'instance'; region: string; instanceType: string; publicIpv4: boolean }
  | { kind: 'volume'; region: string; volumeType: string; sizeGb: number }
  | { kind: 'snapshot'; region: string; sizeGb: number }
  /** Objects in S3 Standard (test artifacts); sizeGb may be fractional. */
  | { kind: 's3'; region: string; sizeGb: number }
  | { kind: 'free' };

export interface CostLine {
  /** USD per hour while the asset exists; null when its price is unknown. */
  hourly: number | null;
  /** What could not be priced, for the report. */
  unknown: string | null;
}

export function hourlyCost(prices: Prices, item: Priced): CostLine {
  switch (item.kind) {
    case 'instance': {
      const rate = prices.instanceHourly(item.region, item.instanceType);
      if (rate === null) return { hourly: null, unknown: `no price for ${item.instanceType} in ${item.region}` };
      return { hourly: rate + (item.publicIpv4 ? prices.publicIpv4Hourly() : 0), unknown: null };
    }
    case 'volume': {
      const rate = prices.ebsGbMonth(item.region, item.volumeType);
      if (rate === null) return { hourly: null, unknown: `no price for ${item.volumeType} volumes in ${item.region}` };
      return { hourly: (item.sizeGb * rate) / HOURS_PER_MONTH, unknown: null };
    }
    case 'snapshot': {
      const rate = prices.snapshotGbMonth(item.region);
      if (rate === null) return { hourly: null, unknown: `no snapshot price in ${item.region}` };
      // Snapshots bill only changed blocks; the full size is the upper bound we can know without billing data.
      return { hourly: (item.sizeGb * rate) / HOURS_PER_MONTH, unknown: null };
    }
    case 's3': {
      const rate = prices.s3GbMonth(item.region);
      if (rate === null) return { hourly: null, unknown: `no S3 price in ${item.region}` };
      return { hourly: (item.sizeGb * rate) / HOURS_PER_MONTH, unknown: null };
    }
    case 'free':
      return { hourly: 0, unknown: null };
  }
}

/** USD accrued over `ms` at `hourly`; null stays null. */
export function accrued(hourly: number | null, ms: number): number | null {
  return hourly === null ? null : (hourly * Math.max(0, ms)) / 3_600_000;
}

/**
 * The one way money is shown, by every front and report: cents, `<$0.01` for an amount that is not
 * zero but under a cent (a minute of a small instance), `unknown` when it could not be priced.
 * Markup that gives `<` a meaning (Slack's mrkdwn) escapes it like any other text.
 */
export function formatUsd(usd: number | null): string {
  if (usd === null) return 'unknown';
  if (usd > 0 && usd < 0.01) return '<$0.01';
  return `$${usd.toFixed(2)}`;
}
