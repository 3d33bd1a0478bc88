// Refreshing on-demand instance prices from the AWS Pricing API (GetProducts) for the instance types the
// configuration uses, cached in the store so every replica prices with the same figures. EBS, snapshot
// and public IPv4 prices change rarely and stay with the bundled table (or the config's overrides).

import { GetProductsCommand, type Filter } from '@aws-sdk/client-pricing';
import pLimit from 'p-limit';
import type { AwsClients } from '../aws/clients.ts';
import { describeAwsError } from '../aws/errors.ts';
import type { Config } from '../config/types.ts';
import { createPrices, type PriceOverrides, type Prices } from '../cost/prices.ts';
import type { Store } from '../store/index.ts';
import { AwsCalls } from '../aws/calls.ts';

export const PRICES_KV_KEY = 'prices:instances';

export type InstancePrices = Record<string, Record<string, number>>;

export interface PriceRefresh {
  /** Every cached price after the refresh, by region then instance type. */
  instances: InstancePrices;
  /** `region/type` pairs priced by this refresh. */
  refreshed: string[];
  /** One line per pair the Pricing API did not price. */
  failed: string[];
  awsCalls: number;
}

interface PriceListItem {
  product?: { attributes?: Record<string, string> };
  terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, { unit?: string; pricePerUnit?: Record<string, string> }> }> };
}

/** The hourly USD price in one GetProducts PriceList entry (a JSON string), or null. */
export function hourlyPriceOf(item: unknown): { region: string; instanceType: string; usd: number } | null {
  let parsed: PriceListItem;
  try {
    parsed = (typeof item === 'string' ? JSON.parse(item) : item) as PriceListItem;
  } catch {
    return null;
  }
  const attrs = parsed.product?.attributes ?? {};
  const region = attrs['regionCode'];
  const instanceType = attrs['instanceType'];
  if (!region || !instanceType) return null;
  for (const term of Object.values(parsed.terms?.OnDemand ?? {})) {
    for (const dim of Object.values(term.priceDimensions ?? {})) {
      const usd = Number(dim.pricePerUnit?.['USD']);
      // A zero-priced dimension is a reservation placeholder, not the on-demand rate.
      if (dim.unit === 'Hrs' && Number.isFinite(usd) && usd > 0) return { region, instanceType, usd };
    }
  }
  return null;
}

const term = (Field: string, Value: string): Filter => ({ Type: 'TERM_MATCH', Field, Value });

/** The prices cached by the last refresh ({} when none, or when what is stored does not look like prices). */
export async function cachedInstancePrices(store: Store): Promise<InstancePrices> {
  const entry = await store.kvGet(PRICES_KV_KEY);
  const out: InstancePrices = {};
  if (!entry || typeof entry.value !== 'object' || entry.value === null) return out;
  for (const [region, types] of Object.entries(entry.value as Record<string, unknown>)) {
    if (typeof types !== 'object' || types === null) continue;
    for (const [type, usd] of Object.entries(types as Record<string, unknown>)) {
      if (typeof usd === 'number' && Number.isFinite(usd) && usd > 0) (out[region] ??= {})[type] = usd;
    }
  }
  return out;
}

/** Asks the Pricing API for each (region, instance type) the environments use and caches the answers. */
export async function refreshPrices(aws: AwsClients, store: Store, config: Config, opts: { now?: Date; signal?: AbortSignal } = {}): Promise<PriceRefresh> {
  const calls = new AwsCalls(opts.signal ? { signal: opts.signal } : {});
  const pairs = new Map<string, { region: string; instanceType: string }>();
  for (const env of Object.values(config.environments)) pairs.set(`${env.region}/${env.instanceType}`, { region: env.region, instanceType: env.instanceType });
  const pricing = aws.pricing();
  const instances = await cachedInstancePrices(store);
  const refreshed: string[] = [];
  const failed: string[] = [];
  const limit = pLimit(2);
  await Promise.all(
    [...pairs.entries()].map(([key, { region, instanceType }]) =>
      limit(async () => {
        try {
          const listing = await calls.pages(async (NextToken) => {
            const out = await calls.send((o) =>
              pricing.send(
                new GetProductsCommand({
                  ServiceCode: 'AmazonEC2',
                  FormatVersion: 'aws_v1',
                  Filters: [
                    term('regionCode', region),
                    term('instanceType', instanceType),
                    term('operatingSystem', 'Linux'),
                    term('tenancy', 'Shared'),
                    term('preInstalledSw', 'NA'),
                    term('capacitystatus', 'Used'),
                  ],
                  MaxResults: 100,
                  ...(NextToken ? { NextToken } : {}),
                }),
                o,
              ),
            );
            return { items: out.PriceList ?? [], next: out.NextToken };
          });
          const price = listing.items.map(hourlyPriceOf).find((p) => p !== null && p.region === region && p.instanceType === instanceType);
          if (!price) {
            failed.push(`${key}: the Pricing API has no on-demand Linux price`);
            return;
          }
          (instances[region] ??= {})[instanceType] = price.usd;
          refreshed.push(key);
        } catch (err) {
          failed.push(`${key}: ${describeAwsError(err)}`);
        }
      }),
    ),
  );
  if (refreshed.length > 0) await store.kvSet(PRICES_KV_KEY, instances, opts.now ?? new Date());
  return { instances, refreshed: refreshed.sort(), failed: failed.sort(), awsCalls: calls.count };
}

/** Prices as the sweeper and cost reports use them: config overrides, then the cached refresh, then the bundled table. */
export async function loadPrices(store: Store, config: Config): Promise<Prices> {
  const p = config.pricing;
  const overrides: PriceOverrides = {
    ...(p?.instances ? { instances: p.instances } : {}),
    ...(p?.ebsGbMonth ? { ebsGbMonth: Object.fromEntries(Object.entries(p.ebsGbMonth).filter((e): e is [string, number] => e[1] !== undefined)) } : {}),
    ...(p?.snapshotGbMonth !== undefined ? { snapshotGbMonth: p.snapshotGbMonth } : {}),
    ...(p?.s3GbMonth !== undefined ? { s3GbMonth: p.s3GbMonth } : {}),
    ...(p?.publicIpv4Hour !== undefined ? { publicIpv4Hour: p.publicIpv4Hour } : {}),
  };
  return createPrices(overrides, { instances: await cachedInstancePrices(store) });
}
