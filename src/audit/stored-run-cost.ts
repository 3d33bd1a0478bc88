// A run's cost as the audit reads it: the store's record of its assets and its launch step's facts,
// priced by src/cost's runCost (the same figure the run's own report shows).
import type { Config } from '../config/types.ts';
import type { Prices } from '../cost/prices.ts';
import { runCost, type RunCost } from '../cost/run-cost.ts';
import type { Run } from '../domain/run.ts';
import type { Store } from '../store/index.ts';

export async function storedRunCost(store: Pick<Store, 'getStep' | 'getAssets'>, config: Config, prices: Prices, run: Run, now: Date): Promise<RunCost> {
  const env = run.env ? config.environments[run.env] : undefined;
  if (!env) return runCost(prices, env, [], {}, now);
  const launch = (await store.getStep(run.id, 'launch'))?.outputs ?? {};
  return runCost(prices, env, await store.getAssets(run.id), launch, now);
}
