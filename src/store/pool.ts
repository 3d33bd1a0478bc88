// Warm pool members (domain/pool.ts). The claim is a conditional UPDATE: of two replicas or
// engines racing for one member, the database lets exactly one move it from ready to claimed.

import { POOL_MEMBER_STATES, type PoolMember, type PoolMemberState } from '../domain/pool.ts';
import type { Db } from './db.ts';
import { toMs } from './rows.ts';

interface PoolMemberRow {
  id: string;
  env: string;
  region: string;
  instance_id: string | null;
  ami: string;
  base_ref: string;
  state: string;
  created_at: number;
  built_at: number | null;
  claimed_by: string | null;
  claimed_at: number | null;
  evict_reason: string | null;
}

const COLUMNS = 'id, env, region, instance_id, ami, base_ref, state, created_at, built_at, claimed_by, claimed_at, evict_reason';

function date(ms: number | null): Date | null {
  return ms == null ? null : new Date(Number(ms));
}

function memberFromRow(row: PoolMemberRow): PoolMember {
  if (!(POOL_MEMBER_STATES as readonly string[]).includes(row.state)) throw new Error(`store: pool member state has unknown value "${row.state}"`);
  return {
    id: row.id,
    env: row.env,
    region: row.region,
    instanceId: row.instance_id,
    ami: row.ami,
    baseRef: row.base_ref,
    state: row.state as PoolMemberState,
    createdAt: new Date(Number(row.created_at)),
    builtAt: date(row.built_at),
    claimedBy: row.claimed_by,
    claimedAt: date(row.claimed_at),
    evictReason: row.evict_reason,
  };
}

export interface NewPoolMember {
  id: string;
  env: string;
  region: string;
  ami: string;
  baseRef: string;
  createdAt: Date;
}

/** What a launch accepts: a member built from the environment's current AMI, no older than maxAge. */
export interface ClaimCriteria {
  ami: string;
  builtAfter: Date;
}

export function poolQueries(db: Db) {
  const byId = async (id: string): Promise<PoolMember | null> => {
    const rows = await db.query<PoolMemberRow>(`SELECT ${COLUMNS} FROM pool_members WHERE id = ?`, [id]);
    return rows[0] ? memberFromRow(rows[0]) : null;
  };
  return {
    poolMember: byId,

    /** Recorded before RunInstances, so a crash right after it leaves a record to clean up from. */
    async insertPoolMember(m: NewPoolMember): Promise<void> {
      await db.run(
        `INSERT INTO pool_members (id, env, region, ami, base_ref, state, created_at) VALUES (?, ?, ?, ?, ?, 'preparing', ?)`,
        [m.id, m.env, m.region, m.ami, m.baseRef, toMs(m.createdAt)],
      );
    },

    async setPoolMemberInstance(id: string, instanceId: string): Promise<void> {
      await db.run('UPDATE pool_members SET instance_id = ? WHERE id = ?', [instanceId, id]);
    },

    /** preparing -> ready; false when it was evicted meanwhile (then it is not offered). */
    async markPoolMemberReady(id: string, builtAt: Date): Promise<boolean> {
      return (await db.run(`UPDATE pool_members SET state = 'ready', built_at = ? WHERE id = ? AND state = 'preparing'`, [toMs(builtAt), id])) === 1;
    },

    /**
     * Takes one ready member of `env` that meets the criteria for `runId` (the oldest acceptable
     * one, before it ages out); null when there is none. Exactly one claimer wins each member.
     */
    async claimPoolMember(env: string, runId: string, criteria: ClaimCriteria, at: Date): Promise<PoolMember | null> {
      const candidates = await db.query<{ id: string }>(
        `SELECT id FROM pool_members WHERE env = ? AND state = 'ready' AND ami = ? AND built_at >= ? ORDER BY built_at, id`,
        [env, criteria.ami, toMs(criteria.builtAfter)],
      );
      for (const { id } of candidates) {
        // The state condition is the claim: a concurrent winner already moved the row off 'ready'.
        const changed = await db.run(
          `UPDATE pool_members SET state = 'claimed', claimed_by = ?, claimed_at = ? WHERE id = ? AND state = 'ready'`,
          [runId, toMs(at), id],
        );
        if (changed === 1) return byId(id);
      }
      return null;
    },

    /** The member a run claimed, if any. */
    async poolMemberClaimedBy(runId: string): Promise<PoolMember | null> {
      const rows = await db.query<PoolMemberRow>(`SELECT ${COLUMNS} FROM pool_members WHERE claimed_by = ?`, [runId]);
      return rows[0] ? memberFromRow(rows[0]) : null;
    },

    /** preparing|ready -> evicting with a reason; false when it was claimed (or evicted) first. */
    async evictPoolMember(id: string, reason: string): Promise<boolean> {
      return (await db.run(`UPDATE pool_members SET state = 'evicting', evict_reason = ? WHERE id = ? AND state IN ('preparing', 'ready')`, [reason, id])) === 1;
    },

    /** Forgets a member whose instance is gone (terminated by its eviction or by the claiming run's teardown). */
    async deletePoolMember(id: string): Promise<boolean> {
      return (await db.run('DELETE FROM pool_members WHERE id = ?', [id])) === 1;
    },

    /** Oldest first; every environment when `env` is omitted. */
    async listPoolMembers(env?: string, states?: readonly PoolMemberState[]): Promise<PoolMember[]> {
      const where: string[] = [];
      const params: string[] = [];
      if (env !== undefined) {
        where.push('env = ?');
        params.push(env);
      }
      if (states) {
        where.push(`state IN (${states.map(() => '?').join(', ') || 'NULL'})`);
        params.push(...states);
      }
      const rows = await db.query<PoolMemberRow>(
        `SELECT ${COLUMNS} FROM pool_members${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`,
        params,
      );
      return rows.map(memberFromRow);
    },
  };
}

export type PoolQueries = ReturnType<typeof poolQueries>;
