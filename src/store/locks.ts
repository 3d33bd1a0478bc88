// Environment locks. A lock row is only ever inserted or deleted, never overwritten, so claiming is
// one INSERT ... ON CONFLICT DO NOTHING: of any number of racing claimers exactly one inserts.

import type { EnvLock } from '../domain/lock.ts';
import type { Db } from './db.ts';
import { lockFromRow, toMs, type LockRow } from './rows.ts';

const LOCK_COLUMNS = 'env, holder, holder_kind, reason, sticky, since';

export function lockQueries(db: Db) {
  const getLock = async (env: string): Promise<EnvLock | null> => {
    const rows = await db.query<LockRow>(`SELECT ${LOCK_COLUMNS} FROM locks WHERE env = ?`, [env]);
    return rows[0] ? lockFromRow(rows[0]) : null;
  };

  return {
    /**
     * True when `lock.holder` now holds the environment: it was free and this claim took it, or the
     * same holder already held it (so a resumed run can claim again). An existing lock of anyone
     * else, sticky or not, is never replaced.
     */
    async claimLock(lock: EnvLock): Promise<boolean> {
      const inserted = await db.run(
        `INSERT INTO locks (env, holder, holder_kind, reason, sticky, since) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (env) DO NOTHING`,
        [lock.env, lock.holder, lock.holderKind, lock.reason, lock.sticky ? 1 : 0, toMs(lock.since)],
      );
      if (inserted === 1) return true;
      const current = await getLock(lock.env);
      return current !== null && current.holder === lock.holder && current.holderKind === lock.holderKind;
    },

    /** Frees the environment. With `holder`, only if that holder has it. True when a lock was removed. */
    async releaseLock(env: string, holder?: string): Promise<boolean> {
      const changed =
        holder === undefined
          ? await db.run('DELETE FROM locks WHERE env = ?', [env])
          : await db.run('DELETE FROM locks WHERE env = ? AND holder = ?', [env, holder]);
      return changed === 1;
    },

    getLock,

    /** By environment name. */
    async listLocks(): Promise<EnvLock[]> {
      return (await db.query<LockRow>(`SELECT ${LOCK_COLUMNS} FROM locks ORDER BY env`)).map(lockFromRow);
    },
  };
}

export type LockQueries = ReturnType<typeof lockQueries>;
