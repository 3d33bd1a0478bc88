// The engines alive on this store: each heartbeats its own row, so a short-lived CLI can tell whether a
// server shares the store (it then leaves recovery to it), and an adopter can tell a dead owner from a
// live one whose run lease merely lapsed.

import type { Db } from './db.ts';
import { toMs } from './rows.ts';

/** `server`: `stagebot serve` (drives queued and adopted runs); `cli`: a short-lived command. */
export type ReplicaRole = 'server' | 'cli';

export interface Replica {
  owner: string;
  role: ReplicaRole;
  startedAt: Date;
  heartbeatAt: Date;
  /** Stopping on purpose (a planned restart): it takes no new work. */
  stopping: boolean;
}

interface ReplicaRow {
  owner: string;
  role: string;
  started_at: number;
  heartbeat_at: number;
  stopping: number;
}

function replicaFromRow(row: ReplicaRow): Replica {
  return {
    owner: row.owner,
    role: row.role === 'server' ? 'server' : 'cli',
    startedAt: new Date(Number(row.started_at)),
    heartbeatAt: new Date(Number(row.heartbeat_at)),
    stopping: Number(row.stopping) !== 0,
  };
}

export function replicaQueries(db: Db) {
  return {
    /** Records that `owner` is alive now (creating its row on the first beat). */
    async replicaHeartbeat(owner: string, role: ReplicaRole, now: Date): Promise<void> {
      await db.run(
        `INSERT INTO replicas (owner, role, started_at, heartbeat_at, stopping) VALUES (?, ?, ?, ?, 0)
         ON CONFLICT (owner) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`,
        [owner, role, toMs(now), toMs(now)],
      );
    },

    async replicaStopping(owner: string): Promise<void> {
      await db.run('UPDATE replicas SET stopping = 1 WHERE owner = ?', [owner]);
    },

    /** A clean exit: the row goes, and with it any doubt about whether the process lives. */
    async removeReplica(owner: string): Promise<void> {
      await db.run('DELETE FROM replicas WHERE owner = ?', [owner]);
    },

    /** Replicas whose heartbeat is younger than `ttlMs` before `now`; rows older than a day are pruned. */
    async liveReplicas(now: Date, ttlMs: number): Promise<Replica[]> {
      await db.run('DELETE FROM replicas WHERE heartbeat_at < ?', [toMs(now) - Math.max(ttlMs, 86_400_000)]);
      const rows = await db.query<ReplicaRow>('SELECT owner, role, started_at, heartbeat_at, stopping FROM replicas WHERE heartbeat_at >= ? ORDER BY owner', [
        toMs(now) - ttlMs,
      ]);
      return rows.map(replicaFromRow);
    },
  };
}

export type ReplicaQueries = ReturnType<typeof replicaQueries>;
