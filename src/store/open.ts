// Opens the configured database, migrates it, and hands back a Store.

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../errors.ts';
import type { Db } from './db.ts';
import { migrate } from './migrations.ts';
import { SqliteDb } from './sqlite-db.ts';
import { createStore, type Store } from './store.ts';

export const DEFAULT_SQLITE_PATH = './data/stagebot.db';

export interface OpenStoreOptions {
  /** `postgres://...` (DATABASE_URL). Absent or empty means SQLite. */
  databaseUrl?: string;
  /** SQLite file (store.sqlitePath), created with its directory if missing; `:memory:` for a throwaway one. */
  sqlitePath?: string;
  /** SQLite: how long to wait for another process's write lock. */
  busyTimeoutMs?: number;
  /** Postgres: most connections this process opens. */
  maxConnections?: number;
  /** Postgres: an idle pooled connection failed; the pool reconnects on next use. */
  onError?: (err: Error) => void;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
}

/** The URL without its password, for messages. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return 'the configured URL';
  }
}

/** An open (not yet migrated) Db for the options. Throws ConfigError when it cannot be opened. */
export async function openDb(options: OpenStoreOptions = {}): Promise<Db> {
  const url = options.databaseUrl?.trim();
  if (url) {
    if (!POSTGRES_URL.test(url)) {
      throw new ConfigError(
        'DATABASE_URL must be a postgres:// or postgresql:// URL; leave it unset to use SQLite (store.sqlitePath).',
      );
    }
    // Only this backend loads `pg`: a SQLite installation never does.
    const { PostgresDb } = await import('./postgres-db.ts');
    const db = new PostgresDb({
      connectionString: url,
      ...(options.maxConnections !== undefined && { maxConnections: options.maxConnections }),
      ...(options.onError && { onError: options.onError }),
    });
    try {
      await db.query('SELECT 1 AS ok');
    } catch (err) {
      await db.close().catch(() => {});
      throw new ConfigError(`Cannot connect to Postgres at ${describeUrl(url)} (${reason(err)}); check DATABASE_URL.`);
    }
    return db;
  }

  const path = options.sqlitePath?.trim() || DEFAULT_SQLITE_PATH;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    return new SqliteDb(path, options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {});
  } catch (err) {
    throw new ConfigError(`Cannot open the SQLite database at ${path} (${reason(err)}); check store.sqlitePath.`);
  }
}

/** Opens the database, applies pending migrations (safe when several processes open at once) and returns the Store. */
export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const db = await openDb(options);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  return createStore(db);
}
