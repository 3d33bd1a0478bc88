// Runs one suite against every backend: SQLite always, Postgres when TEST_DATABASE_URL is set.
// Each test file gets its own database (a temp SQLite file / a uniquely named Postgres schema,
// dropped afterwards), and every test starts from empty tables.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe } from 'vitest';
import { openStore, type OpenStoreOptions, type Store } from '../../src/store/index.ts';
import type { NewRun } from '../../src/store/types.ts';

export type BackendName = 'sqlite' | 'postgres';

const PG_URL = process.env['TEST_DATABASE_URL'];

// Children first, for the foreign keys.
const TABLES = ['reaped', 'sweeps', 'events', 'steps', 'assets', 'runs', 'locks', 'deliveries', 'cron_slots', 'kv', 'pool_members'];

interface Backend {
  name: BackendName;
  enabled: boolean;
  /** A new, empty database; returns how to open it. */
  createDatabase(): Promise<OpenStoreOptions>;
  /** Drops every database this backend created. */
  dropAll(): Promise<void>;
  /** Empties the tables of an open database. */
  empty(options: OpenStoreOptions): Promise<void>;
}

function sqliteBackend(): Backend {
  let dir: string | undefined;
  let n = 0;
  return {
    name: 'sqlite',
    enabled: true,
    async createDatabase() {
      dir ??= mkdtempSync(join(tmpdir(), 'stagebot-store-'));
      return { sqlitePath: join(dir, `db-${++n}`, 'store.db') };
    },
    async dropAll() {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
    async empty(options) {
      const { DatabaseSync } = await import('node:sqlite');
      const db = new DatabaseSync(options.sqlitePath!, { timeout: 5_000 });
      try {
        for (const table of TABLES) db.exec(`DELETE FROM ${table}`);
      } finally {
        db.close();
      }
    },
  };
}

function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

function postgresBackend(): Backend {
  const schemas: string[] = [];
  const admin = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'postgres',
    enabled: Boolean(PG_URL),
    async createDatabase() {
      const schema = `stagebot_test_${process.pid}_${randomBytes(4).toString('hex')}`;
      await admin((c) => c.query(`CREATE SCHEMA ${schema}`));
      schemas.push(schema);
      // Small pools: several test files share the server with other engineers' suites.
      return { databaseUrl: withSearchPath(PG_URL!, schema), maxConnections: 4 };
    },
    async dropAll() {
      if (!schemas.length) return;
      await admin(async (c) => {
        for (const schema of schemas.splice(0)) await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      });
    },
    async empty(options) {
      const client = new pg.Client({ connectionString: options.databaseUrl });
      await client.connect();
      try {
        await client.query(`TRUNCATE ${TABLES.join(', ')}`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface StoreContext {
  readonly backend: BackendName;
  /** The store every test uses, emptied before each test. */
  readonly store: Store;
  /** How to open this file's database again (a second replica / process). */
  readonly options: OpenStoreOptions;
  /** Another Store on the same database, with its own connection(s); closed after the test. */
  open(options?: OpenStoreOptions): Promise<Store>;
  /** Options for a brand-new empty database (not migrated), dropped after the file. */
  freshDatabase(): Promise<OpenStoreOptions>;
}

/** `describe` once per backend; Postgres is skipped unless TEST_DATABASE_URL is set. */
export function describeStore(title: string, body: (ctx: StoreContext) => void): void {
  for (const backend of [sqliteBackend(), postgresBackend()]) {
    describe.skipIf(!backend.enabled)(`${title} [${backend.name}]`, () => {
      let store: Store | undefined;
      let options: OpenStoreOptions | undefined;
      const extra: Store[] = [];

      beforeAll(async () => {
        options = await backend.createDatabase();
        store = await openStore(options);
      });
      beforeEach(async () => {
        await backend.empty(options!);
      });
      afterEach(async () => {
        await Promise.all(extra.splice(0).map((s) => s.close()));
      });
      afterAll(async () => {
        await store?.close();
        await backend.dropAll();
      });

      body({
        backend: backend.name,
        get store() {
          if (!store) throw new Error('store not open yet: use ctx.store inside a test');
          return store;
        },
        get options() {
          if (!options) throw new Error('database not created yet: use ctx.options inside a test');
          return options;
        },
        async open(other) {
          const s = await openStore(other ?? options!);
          extra.push(s);
          return s;
        },
        freshDatabase: () => backend.createDatabase(),
      });
    });
  }
}

let runCounter = 0;

/** A queued run with sensible defaults. */
export function newRun(overrides: Partial<NewRun> = {}): NewRun {
  runCounter += 1;
  return {
    id: `stg4-20261121-${runCounter.toString(16).padStart(6, '0')}`,
    env: 'stg4',
    requester: 'slack:U123',
    source: 'slack',
    options: { browsers: ['chrome'] },
    createdAt: new Date(Date.UTC(2026, 10, 21, 9, 0, runCounter)),
    ...overrides,
  };
}

/** Runs `attempt(i)` n times at once and returns the indexes that returned true. */
export async function race(n: number, attempt: (i: number) => Promise<boolean>): Promise<number[]> {
  const results = await Promise.all(Array.from({ length: n }, (_, i) => attempt(i)));
  return results.flatMap((won, i) => (won ? [i] : []));
}
