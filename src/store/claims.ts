// Once-only claims shared by replicas: a Slack/GitHub delivery is handled once even when retried or
// received by two replicas, and a cron occurrence fires on one replica only.

import type { Db } from './db.ts';
import { toMs } from './rows.ts';

export function claimQueries(db: Db) {
  return {
    /** True only for the first claim of `key` (e.g. `slack:<event_id>`, `github:<delivery id>`). */
    async claimDelivery(key: string, at: Date): Promise<boolean> {
      const changed = await db.run('INSERT INTO deliveries (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, toMs(at)]);
      return changed === 1;
    },

    /** Forgets deliveries claimed before `olderThan` (past the senders' retry window); returns how many. */
    async pruneDeliveries(olderThan: Date): Promise<number> {
      return db.run('DELETE FROM deliveries WHERE at < ?', [toMs(olderThan)]);
    },

    /** True for exactly one claimer of each `name` + `occurrence`. */
    async claimCronSlot(name: string, occurrence: Date, owner: string, at: Date = new Date()): Promise<boolean> {
      const changed = await db.run(
        `INSERT INTO cron_slots (name, occurrence, owner, claimed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name, occurrence) DO NOTHING`,
        [name, toMs(occurrence), owner, toMs(at)],
      );
      return changed === 1;
    },

    /** Who claimed that occurrence, or null. */
    async cronSlotOwner(name: string, occurrence: Date): Promise<string | null> {
      const rows = await db.query<{ owner: string }>('SELECT owner FROM cron_slots WHERE name = ? AND occurrence = ?', [
        name,
        toMs(occurrence),
      ]);
      return rows[0]?.owner ?? null;
    },

    /** Forgets occurrences before `olderThan`; returns how many. */
    async pruneCronSlots(olderThan: Date): Promise<number> {
      return db.run('DELETE FROM cron_slots WHERE occurrence < ?', [toMs(olderThan)]);
    },
  };
}

export type ClaimQueries = ReturnType<typeof claimQueries>;
