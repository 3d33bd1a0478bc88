// The environments a run holds. Usually one, its own; but two replicas' pumps racing for the same
// queued pool run can each claim a different environment for it (claimLock says yes to the holder it
// already has), and only one of them starts it. A run that ends lets go of all of them.
import type { Store } from '../store/index.ts';

/** Frees every environment lock held by `runId`; a lock of anyone else is never touched. */
export async function releaseRunLocks(store: Store, runId: string): Promise<void> {
  for (const lock of await store.listLocks()) {
    if (lock.holderKind === 'run' && lock.holder === runId) await store.releaseLock(lock.env, runId);
  }
}
