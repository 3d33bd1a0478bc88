// A small JSON cache shared by replicas (the refreshed price table, prepare-tests cache keys...).

import type { Db } from './db.ts';
import { kvValueFromRow, toJson, toMs } from './rows.ts';
import type { KvEntry } from './types.ts';

export function kvQueries(db: Db) {
  return {
    /** The value as saved (parsed JSON; validate it before trusting its shape), or null. */
    async kvGet(key: string): Promise<KvEntry | null> {
      const rows = await db.query<{ key: string; value: string; updated_at: number }>(
        'SELECT key, value, updated_at FROM kv WHERE key = ?',
        [key],
      );
      const row = rows[0];
      return row ? { value: kvValueFromRow(row), updatedAt: new Date(Number(row.updated_at)) } : null;
    },

    /** Saves (or replaces) a JSON-serialisable value. */
    async kvSet(key: string, value: unknown, at: Date = new Date()): Promise<void> {
      await db.run(
        `INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [key, toJson(value), toMs(at)],
      );
    },

    /** Saves the value only when the key has none yet; true when this call saved it (atomic across replicas). */
    async kvSetIfAbsent(key: string, value: unknown, at: Date = new Date()): Promise<boolean> {
      const changed = await db.run('INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING', [key, toJson(value), toMs(at)]);
      return changed === 1;
    },

    async kvDelete(key: string): Promise<boolean> {
      return (await db.run('DELETE FROM kv WHERE key = ?', [key])) === 1;
    },
  };
}

export type KvQueries = ReturnType<typeof kvQueries>;
