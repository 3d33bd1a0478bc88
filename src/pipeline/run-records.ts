// The store behind a run's RunRecords (run-context.ts): the run's assets, the build cache and the
// step journal, the warm pool as the run sees it (pool-records.ts), and nothing else of the store reaches a step.
import type { Clock } from '../domain/clock.ts';
import type { Store } from '../store/index.ts';
import type { PoolRecords, RunRecords } from './run-context.ts';

export function runRecords(store: Pick<Store, 'getAssets' | 'kvGet' | 'kvSet' | 'upsertStep' | 'recordManifest'>, runId: string, clock: Clock, pool: PoolRecords): RunRecords {
  return {
    assets: () => store.getAssets(runId),
    cached: async (key) => (await store.kvGet(key))?.value ?? null,
    cache: (key, value) => store.kvSet(key, value, clock.now()),
    saveStep: (step) => store.upsertStep(step),
    recordManifest: (v) => store.recordManifest(v),
    pool,
  };
}
