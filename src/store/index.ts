// The store's public surface.

export { openStore, openDb, DEFAULT_SQLITE_PATH, type OpenStoreOptions } from './open.ts';
export { createStore, type Store } from './store.ts';
export { ADOPTABLE_RUN_STATES } from './leases.ts';
export { migrate, MIGRATIONS, type Migration } from './migrations.ts';
export type { Db, Dialect, SqlValue } from './db.ts';
export type { NewRun, RunPatch, RunFilter, Sweep, ReapedAsset, KvEntry } from './types.ts';
export type { Replica, ReplicaRole } from './replicas.ts';
export type { NewPoolMember, ClaimCriteria } from './pool.ts';
export type { ManifestVersion } from './manifests.ts';
