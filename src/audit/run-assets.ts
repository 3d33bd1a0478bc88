// `assets <run>`: what a run created, as the store remembers it, with each asset's state and what it
// cost (priced by src/cost's `runCost`, as a run's final report is).

import type { Config } from '../config/types.ts';
import type { Prices } from '../cost/prices.ts';
import type { AssetKind } from '../domain/asset.ts';
import { NotFoundError } from '../errors.ts';
import type { Store } from '../store/index.ts';
import { storedRunCost } from './stored-run-cost.ts';

export interface RunAssetLine {
  kind: AssetKind;
  id: string;
  region: string;
  state: 'live' | 'deleted';
  createdAt: Date;
  deletedAt: Date | null;
  /** USD from creation to deletion (or now); 0 for free kinds, null when it cannot be priced. */
  costUsd: number | null;
}


/** Oldest first; costs only with `pricing`. Throws NotFoundError when the store knows no such run. */
export async function assetsOfRun(store: Pick<Store, 'getRun' | 'getAssets' | 'getStep'>, runId: string, pricing?: { config: Config; prices: Prices; now?: Date }): Promise<RunAssetLine[]> {
  const run = await store.getRun(runId);
  if (!run) throw new NotFoundError(`no run ${runId}; \`list\` shows the current ones`);
  const byWhat = new Map<string, number | null>();
  if (pricing) {
    const now = pricing.now ?? new Date();
    const cost = await storedRunCost(store, pricing.config, pricing.prices, run, now);
    for (const l of cost.lines) byWhat.set(l.what, l.usd);
  }
  return (await store.getAssets(runId)).map((a) => {
    const usd = byWhat.get(`${a.kind} ${a.id}`);
    return {
      kind: a.kind,
      id: a.id,
      region: a.region,
      state: a.deletedAt ? 'deleted' : 'live',
      createdAt: a.createdAt,
      deletedAt: a.deletedAt,
      costUsd: usd !== undefined ? usd : a.kind === 'instance' || a.kind === 'volume' ? null : 0,
    };
  });
}
