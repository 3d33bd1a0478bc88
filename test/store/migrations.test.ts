import { DatabaseSync } from 'node:sqlite';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { MIGRATIONS, migrate, openDb, openStore } from '../../src/store/index.ts';
import { describeStore, newRun } from './harness.ts';

const ALL_IDS = MIGRATIONS.map((m) => m.id);

describeStore('migrations', (ctx) => {
  test('migrating twice applies each migration once', async () => {
    const db = await openDb(await ctx.freshDatabase());
    try {
      expect(await migrate(db)).toEqual(ALL_IDS);
      expect(await migrate(db)).toEqual([]);
      const rows = await db.query<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id');
      expect(rows.map((r) => r.id)).toEqual(ALL_IDS);
    } finally {
      await db.close();
    }
  });

  test('reopening keeps the data', async () => {
    const options = await ctx.freshDatabase();
    const first = await openStore(options);
    const run = await first.createRun(newRun({ options: { browsers: ['firefox'] } }));
    await first.close();
    const second = await openStore(options);
    try {
      expect(await second.getRun(run.id)).toEqual(run);
    } finally {
      await second.close();
    }
  });

  test('two stores opening a new database at once both work, and it is migrated once', async () => {
    const options = await ctx.freshDatabase();
    const [a, b] = await Promise.all([openStore(options), openStore(options)]);
    try {
      expect(await a.claimDelivery('k', new Date())).toBe(true);
      expect(await b.claimDelivery('k', new Date())).toBe(false);
      const db = await openDb(options);
      const rows = await db.query<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id');
      await db.close();
      expect(rows.map((r) => r.id)).toEqual(ALL_IDS);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('the store reports its backend and answers ping', async () => {
    expect(ctx.store.backend).toBe(ctx.backend);
    await expect(ctx.store.ping()).resolves.toBeUndefined();
  });

  test('a failing migration leaves nothing half-applied', async () => {
    const db = await openDb(await ctx.freshDatabase());
    try {
      const broken = [{ id: 1, name: 'broken', statements: ['CREATE TABLE half (id TEXT)', 'THIS IS NOT SQL'] }];
      await expect(migrate(db, broken)).rejects.toThrow();
      expect(await migrate(db, [{ id: 1, name: 'fixed', statements: ['CREATE TABLE half (id TEXT)'] }])).toEqual([1]);
    } finally {
      await db.close();
    }
  });
});

describe('opening SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stagebot-store-open-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('creates missing directories and uses WAL with a busy timeout', async () => {
    const sqlitePath = join(dir, 'nested', 'data', 'stagebot.db');
    const store = await openStore({ sqlitePath });
    await store.close();
    expect(existsSync(sqlitePath)).toBe(true);
    const raw = new DatabaseSync(sqlitePath);
    try {
      expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      raw.close();
    }
  });

  test('an in-memory store works for throwaway use', async () => {
    const store = await openStore({ sqlitePath: ':memory:' });
    try {
      expect(store.backend).toBe('sqlite');
      await store.createRun(newRun({ id: 'mem-1' }));
      expect((await store.getRun('mem-1'))!.id).toBe('mem-1');
    } finally {
      await store.close();
    }
  });

  test('an unusable path is a ConfigError naming the setting', async () => {
    const err = await openStore({ sqlitePath: join(dir, 'no-dir-here', '\0bad') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/store\.sqlitePath/);
  });
});

describe('opening Postgres', () => {
  test('a DATABASE_URL that is not postgres:// is a ConfigError', async () => {
    await expect(openStore({ databaseUrl: 'mysql://localhost/x' })).rejects.toThrow(/DATABASE_URL must be a postgres:\/\//);
    await expect(openStore({ databaseUrl: 'mysql://localhost/x' })).rejects.toBeInstanceOf(ConfigError);
  });

  test('an unreachable server is a ConfigError that does not echo the password', async () => {
    const err = await openStore({ databaseUrl: 'postgres://bot:s3cret@127.0.0.1:1/stagebot' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('127.0.0.1:1/stagebot');
    expect((err as Error).message).not.toContain('s3cret');
  });
});
