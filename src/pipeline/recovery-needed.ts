// Whether a short-lived process has anything to recover: a cheap look at the store (no engine, no AWS
// SDK), so that `list` and `status` stay as fast as they are when nothing was left behind.
import type { Config } from '../config/index.ts';
import type { Store } from '../store/index.ts';

export type RecoveryStore = Pick<Store, 'liveReplicas' | 'expiredLeases' | 'listRuns'>;

/**
 * True when no server shares the store and some run needs taking over: a run whose lease lapsed, a
 * kept run whose time is up or that someone tore down, or a queued run whose foreground requester
 * stopped beating. (Recovery decides run by run; this only says whether to build an engine for it.)
 */
export async function recoveryNeeded(store: RecoveryStore, config: Config, now: Date): Promise<boolean> {
  const ttl = config.runs.leaseTtl;
  const alive = await store.liveReplicas(now, ttl);
  if (alive.some((r) => r.role === 'server')) return false;
  if ((await store.expiredLeases(now, ttl, ['running', 'tearing_down'])).length > 0) return true;
  const waiting = await store.listRuns({ states: ['kept', 'queued'] });
  const owners = new Set(alive.map((r) => r.owner));
  return waiting.some((r) =>
    r.state === 'kept'
      ? r.cancelRequestedBy !== null || (r.expiresAt !== null && r.expiresAt <= now)
      : r.cancelRequestedBy !== null ||
        (r.leaseOwner !== null && !owners.has(r.leaseOwner) && (r.leaseHeartbeatAt === null || now.getTime() - r.leaseHeartbeatAt.getTime() > ttl)),
  );
}
