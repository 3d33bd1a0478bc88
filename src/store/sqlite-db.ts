// Db over Node's built-in node:sqlite. The driver is synchronous; the methods are async only so
// that the store is written once for both backends.

import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { resolve } from 'node:path';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Db, SqlValue } from './db.ts';

export interface SqliteDbOptions {
  /**
   * How long a statement waits for another process's write lock before failing with SQLITE_BUSY.
   * node:sqlite waits synchronously, stalling this process meanwhile: fine for a CLI next to the
   * bot, while replicas should share Postgres.
   */
  busyTimeoutMs?: number;
}

// Every handle on one file in this process takes turns through one gate. Without it, a handle whose
// transaction awaits between statements could be followed, on the same thread, by another handle's
// BEGIN IMMEDIATE, which would busy-wait synchronously for a lock only this (now blocked) thread can
// release. Across processes the file lock and the busy timeout do the same job.
const gates = new Map<string, { limit: LimitFunction; handles: number }>();

function acquireGate(key: string): LimitFunction {
  const gate = gates.get(key) ?? { limit: pLimit(1), handles: 0 };
  gate.handles += 1;
  gates.set(key, gate);
  return gate.limit;
}

function releaseGate(key: string): void {
  const gate = gates.get(key);
  if (!gate) return;
  gate.handles -= 1;
  if (gate.handles <= 0) gates.delete(key);
}

let memoryDatabases = 0;

export class SqliteDb implements Db {
  readonly dialect = 'sqlite' as const;
  readonly #db: DatabaseSync;
  readonly #gateKey: string;
  readonly #gate: LimitFunction;
  readonly #statements = new Map<string, StatementSync>();
  readonly #tx: Db;
  #closed = false;

  /** `path` is a file (created if missing, its directory must exist) or `:memory:`. */
  constructor(path: string, options: SqliteDbOptions = {}) {
    this.#db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5_000, enableForeignKeyConstraints: true });
    try {
      // WAL lets readers in other processes carry on while one writes; NORMAL sync is durable across
      // application crashes in WAL mode, which is the failure that matters for a bot.
      if (path !== ':memory:') this.#db.exec('PRAGMA journal_mode = WAL');
      this.#db.exec('PRAGMA synchronous = NORMAL');
    } catch (err) {
      this.#db.close();
      throw err;
    }
    this.#gateKey = path === ':memory:' ? `:memory:${++memoryDatabases}` : resolve(path);
    this.#gate = acquireGate(this.#gateKey);
    this.#tx = {
      dialect: this.dialect,
      query: async <T extends object>(sql: string, params: readonly SqlValue[] = []) => this.#all<T>(sql, params),
      run: async (sql: string, params: readonly SqlValue[] = []) => this.#run(sql, params),
      transaction: <T>(fn: (tx: Db) => Promise<T>) => fn(this.#tx),
      close: () => Promise.reject(new Error('close() called inside a transaction')),
    };
  }

  query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.#gate(() => this.#all<T>(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.#gate(() => this.#run(sql, params));
  }

  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return this.#gate(async () => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.#tx);
        this.#db.exec('COMMIT');
        return result;
      } catch (err) {
        // SQLite may already have rolled back on its own (e.g. after SQLITE_FULL).
        if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  close(): Promise<void> {
    return this.#gate(() => {
      if (this.#closed) return;
      this.#closed = true;
      this.#statements.clear();
      this.#db.close();
      releaseGate(this.#gateKey);
    });
  }

  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #all<T>(sql: string, params: readonly SqlValue[]): T[] {
    return this.#prepare(sql).all(...params) as T[];
  }

  #run(sql: string, params: readonly SqlValue[]): number {
    return Number(this.#prepare(sql).run(...params).changes);
  }
}
