// Prices as the rest of stagebot asks for them: the bundled table, overlaid with the config's
// overrides and whatever the Pricing API refresh cached. An unknown price is null, never 0, so a
// report can say "price unknown" instead of silently under-reporting.
import { EBS_GB_MONTH, INSTANCE_HOURLY, PUBLIC_IPV4_HOURLY, S3_STANDARD_GB_MONTH, SNAPSHOT_GB_MONTH } from './price-table.ts';

export interface PriceOverrides {
  instances?: Record<string, Record<string, number>>;
  ebsGbMonth?: Record<string, number>;
  snapshotGbMonth?: number;
  s3GbMonth?: number;
  publicIpv4Hour?: number;
}

export interface Prices {
  instanceHourly(region: string, instanceType: string): number | null;
  ebsGbMonth(region: string, volumeType: string): number | null;
  snapshotGbMonth(region: string): number | null;
  /** S3 Standard storage (test artifacts). */
  s3GbMonth(region: string): number | null;
  publicIpv4Hourly(): number;
}

export function createPrices(overrides: PriceOverrides = {}, refreshed: PriceOverrides = {}): Prices {
  return {
    instanceHourly: (region, type) =>
      overrides.instances?.[region]?.[type] ?? refreshed.instances?.[region]?.[type] ?? INSTANCE_HOURLY[region]?.[type] ?? null,
    ebsGbMonth: (region, type) => overrides.ebsGbMonth?.[type] ?? EBS_GB_MONTH[region]?.[type] ?? null,
    snapshotGbMonth: (region) => overrides.snapshotGbMonth ?? SNAPSHOT_GB_MONTH[region] ?? null,
    s3GbMonth: (region) => overrides.s3GbMonth ?? S3_STANDARD_GB_MONTH[region] ?? null,
    publicIpv4Hourly: () => overrides.publicIpv4Hour ?? PUBLIC_IPV4_HOURLY,
  };
}
