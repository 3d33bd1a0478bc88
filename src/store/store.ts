// The Store: every query the rest of stagebot needs, written once over a Db.

import type { Db, Dialect } from './db.ts';
import { assetQueries, type AssetQueries } from './assets.ts';
import { auditQueries, type AuditQueries } from './audit.ts';
import { claimQueries, type ClaimQueries } from './claims.ts';
import { journalQueries, type JournalQueries } from './journal.ts';
import { kvQueries, type KvQueries } from './kv.ts';
import { leaseQueries, type LeaseQueries } from './leases.ts';
import { lockQueries, type LockQueries } from './locks.ts';
import { poolQueries, type PoolQueries } from './pool.ts';
import { manifestQueries, type ManifestQueries } from './manifests.ts';
import { replicaQueries, type ReplicaQueries } from './replicas.ts';
import { runQueries, type RunQueries } from './runs.ts';

export interface StoreBasics {
  readonly backend: Dialect;
  /** Resolves when the database answers (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type Store = StoreBasics &
  RunQueries &
  LeaseQueries &
  JournalQueries &
  AssetQueries &
  LockQueries &
  ClaimQueries &
  AuditQueries &
  KvQueries &
  ReplicaQueries &
  PoolQueries &
  ManifestQueries;

/** A Store over an open, migrated Db (see openStore for the usual way in). */
export function createStore(db: Db): Store {
  return {
    backend: db.dialect,
    async ping() {
      await db.query('SELECT 1 AS ok');
    },
    close: () => db.close(),
    ...runQueries(db),
    ...leaseQueries(db),
    ...journalQueries(db),
    ...assetQueries(db),
    ...lockQueries(db),
    ...claimQueries(db),
    ...auditQueries(db),
    ...kvQueries(db),
    ...replicaQueries(db),
    ...poolQueries(db),
    ...manifestQueries(db),
  };
}
