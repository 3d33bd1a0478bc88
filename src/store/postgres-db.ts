// Db over a pg connection pool, for installations where several replicas share one database.

import pg from 'pg';
import type { PoolClient } from 'pg';
import type { Db, SqlValue } from './db.ts';
import { toNumberedPlaceholders } from './placeholders.ts';

const INT8_OID = 20;

// pg returns BIGINT as a string because it may exceed 2^53; the store's BIGINTs are epoch ms,
// counters and ids, all far below that, so numbers it is (on this pool only, not pg's global parsers).
const types = new pg.TypeOverrides();
types.setTypeParser(INT8_OID, 'text', Number);

type Queryable = Pick<PoolClient, 'query'>;

async function all<T extends object>(on: Queryable, sql: string, params: readonly SqlValue[]): Promise<T[]> {
  const result = await on.query(toNumberedPlaceholders(sql), params as SqlValue[]);
  return result.rows as T[];
}

async function run(on: Queryable, sql: string, params: readonly SqlValue[]): Promise<number> {
  const result = await on.query(toNumberedPlaceholders(sql), params as SqlValue[]);
  return result.rowCount ?? 0;
}

export interface PostgresDbOptions {
  connectionString: string;
  /** Most connections this process opens. */
  maxConnections?: number;
  /** An idle pooled connection failed (server restart, network); the pool replaces it on next use. */
  onError?: (err: Error) => void;
}

export class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly #pool: pg.Pool;
  #closing: Promise<void> | undefined;

  constructor(options: PostgresDbOptions) {
    this.#pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      application_name: 'stagebot',
      types,
    });
    // Without a listener, an idle client's error would crash the process.
    this.#pool.on('error', (err) => options.onError?.(err));
  }

  query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return all<T>(this.#pool, sql, params);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return run(this.#pool, sql, params);
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    const tx: Db = {
      dialect: this.dialect,
      query: <R extends object>(sql: string, params: readonly SqlValue[] = []) => all<R>(client, sql, params),
      run: (sql: string, params: readonly SqlValue[] = []) => run(client, sql, params),
      transaction: <R>(inner: (tx: Db) => Promise<R>) => inner(tx),
      close: () => Promise.reject(new Error('close() called inside a transaction')),
    };
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        // A connection that cannot roll back must not go back to the pool.
        broken = rollbackErr as Error;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }
}
