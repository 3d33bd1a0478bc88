// Run leases: which replica drives a run. The owner heartbeats; a lease whose heartbeat is older
// than the TTL may be taken over, so a replica that dies has its runs adopted by another.

import { FINISHED_RUN_STATES, type Run, type RunState } from '../domain/run.ts';
import type { Db } from './db.ts';
import { runFromRow, toMs, type RunRow } from './rows.ts';
import { RUN_COLUMNS, inList } from './runs.ts';

/** States in which a run has live AWS assets and needs a driver: a stale lease here means adopt it. */
export const ADOPTABLE_RUN_STATES: readonly RunState[] = ['running', 'tearing_down', 'kept'];

export function leaseQueries(db: Db) {
  return {
    /**
     * Takes (or renews) the lease on a run that is not finished, in one statement: succeeds when the
     * run is unleased, already leased by `owner`, or its heartbeat is older than `ttlMs` before `now`.
     */
    async acquireLease(runId: string, owner: string, now: Date, ttlMs: number): Promise<boolean> {
      const nowMs = toMs(now);
      // The epoch moves whenever the lease changes hands (SET reads the row as it was): whoever held
      // the run before is fenced from here on, even if it wakes up believing it still drives it.
      const changed = await db.run(
        `UPDATE runs SET lease_epoch = CASE WHEN lease_owner = ? THEN lease_epoch ELSE lease_epoch + 1 END,
           lease_owner = ?, lease_heartbeat_at = ?
         WHERE id = ? AND state NOT IN ${inList(FINISHED_RUN_STATES)}
           AND (lease_owner IS NULL OR lease_owner = ? OR lease_heartbeat_at IS NULL OR lease_heartbeat_at < ?)`,
        [owner, owner, nowMs, runId, ...FINISHED_RUN_STATES, owner, nowMs - ttlMs],
      );
      return changed === 1;
    },

    /**
     * The fence in front of every change a driver makes to AWS: true, and the heartbeat renewed, only
     * while `owner` still holds the run at `epoch` — in one statement, so no adoption can slip between
     * the check and the renewal. False once another engine took the run (or it was released).
     */
    async holdsLease(runId: string, owner: string, epoch: number, now: Date): Promise<boolean> {
      const changed = await db.run('UPDATE runs SET lease_heartbeat_at = ? WHERE id = ? AND lease_owner = ? AND lease_epoch = ?', [toMs(now), runId, owner, epoch]);
      return changed === 1;
    },

    /**
     * A planned stop: gives the lease up with the run marked as handed over by `from` (so whoever takes it
     * resumes it rather than treating it as a crash), with its sealed secrets. Only if `owner` holds it.
     */
    async handOver(runId: string, owner: string, from: string, sealedSecrets: string | null): Promise<boolean> {
      const changed = await db.run(
        'UPDATE runs SET lease_owner = NULL, lease_heartbeat_at = NULL, handover_from = ?, handover_secrets = ? WHERE id = ? AND lease_owner = ?',
        [from, sealedSecrets, runId, owner],
      );
      return changed === 1;
    },

    /** The sealed secrets a handover left, cleared with the handover mark; only by the run's lease holder. */
    async takeHandover(runId: string, owner: string): Promise<{ from: string | null; sealedSecrets: string | null }> {
      const rows = await db.query<{ handover_from: string | null; handover_secrets: string | null }>(
        'SELECT handover_from, handover_secrets FROM runs WHERE id = ? AND lease_owner = ?',
        [runId, owner],
      );
      const row = rows[0];
      if (!row) return { from: null, sealedSecrets: null };
      await db.run('UPDATE runs SET handover_from = NULL, handover_secrets = NULL WHERE id = ? AND lease_owner = ?', [runId, owner]);
      return { from: row.handover_from, sealedSecrets: row.handover_secrets };
    },

    /** Renews every lease `owner` still holds; returns how many. Compare with `leasedRuns` to notice a lost one. */
    async heartbeat(owner: string, now: Date): Promise<number> {
      return db.run('UPDATE runs SET lease_heartbeat_at = ? WHERE lease_owner = ?', [toMs(now), owner]);
    },

    /** Gives the lease up, only if `owner` holds it. */
    async releaseLease(runId: string, owner: string): Promise<boolean> {
      const changed = await db.run(
        'UPDATE runs SET lease_owner = NULL, lease_heartbeat_at = NULL WHERE id = ? AND lease_owner = ?',
        [runId, owner],
      );
      return changed === 1;
    },

    /** Runs leased by `owner`, oldest first. */
    async leasedRuns(owner: string): Promise<Run[]> {
      const rows = await db.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM runs WHERE lease_owner = ? ORDER BY created_at ASC, id ASC`,
        [owner],
      );
      return rows.map(runFromRow);
    },

    /**
     * Runs in an adoptable state (running, tearing_down, kept by default) whose lease is missing or
     * whose heartbeat is older than `ttlMs` before `now`: their driver is gone. Oldest first.
     */
    async expiredLeases(now: Date, ttlMs: number, states: readonly RunState[] = ADOPTABLE_RUN_STATES): Promise<Run[]> {
      if (states.length === 0) return [];
      const rows = await db.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM runs
         WHERE state IN ${inList(states)}
           AND (lease_owner IS NULL OR lease_heartbeat_at IS NULL OR lease_heartbeat_at < ?)
         ORDER BY created_at ASC, id ASC`,
        [...states, toMs(now) - ttlMs],
      );
      return rows.map(runFromRow);
    },
  };
}

export type LeaseQueries = ReturnType<typeof leaseQueries>;
