// The prices every report uses: the bundled table, the Pricing API refresh cached in the store, and
// the config's overrides. Reading them needs the store only, so a command that prices a run (`status`,
// `assets`) loads no AWS SDK; the refresh itself is prices-refresh.ts.
import type { Config } from '../config/types.ts';
import { createPrices, type PriceOverrides, type Prices } from '../cost/prices.ts';
import type { Store } from '../store/index.ts';

export const PRICES_KV_KEY = 'prices:instances';

export type InstancePrices = Record<string, Record<string, number>>;

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
