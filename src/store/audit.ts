// The sweeper's audit trail: each sweep, and each asset it reaped with what it had cost.

import { NotFoundError } from '../errors.ts';
import type { Db } from './db.ts';
import { reapedFromRow, sweepFromRow, toJson, toMs, type ReapedRow, type SweepRow } from './rows.ts';
import type { ReapedAsset, Sweep } from './types.ts';

const SWEEP_COLUMNS = 'id, started_at, finished_at, dry_run, summary';

export function auditQueries(db: Db) {
  return {
    /** Starts the record of a sweep; its id ties the reaped assets to it. */
    async recordSweep(sweep: { startedAt: Date; dryRun: boolean }): Promise<Sweep> {
      const rows = await db.query<SweepRow>(
        `INSERT INTO sweeps (started_at, dry_run) VALUES (?, ?) RETURNING ${SWEEP_COLUMNS}`,
        [toMs(sweep.startedAt), sweep.dryRun ? 1 : 0],
      );
      if (!rows[0]) throw new Error('store: INSERT INTO sweeps returned no row');
      return sweepFromRow(rows[0]);
    },

    /** Throws NotFoundError for an unknown sweep id. */
    async finishSweep(id: number, finishedAt: Date, summary: Record<string, unknown>): Promise<Sweep> {
      const rows = await db.query<SweepRow>(
        `UPDATE sweeps SET finished_at = ?, summary = ? WHERE id = ? RETURNING ${SWEEP_COLUMNS}`,
        [toMs(finishedAt), toJson(summary), id],
      );
      if (!rows[0]) throw new NotFoundError(`No sweep ${id}.`);
      return sweepFromRow(rows[0]);
    },

    async getSweep(id: number): Promise<Sweep | null> {
      const rows = await db.query<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps WHERE id = ?`, [id]);
      return rows[0] ? sweepFromRow(rows[0]) : null;
    },

    /** Newest first. */
    async listSweeps(limit = 20): Promise<Sweep[]> {
      const rows = await db.query<SweepRow>(`SELECT ${SWEEP_COLUMNS} FROM sweeps ORDER BY started_at DESC, id DESC LIMIT ?`, [
        Math.max(0, Math.floor(limit)),
      ]);
      return rows.map(sweepFromRow);
    },

    /** Records one reaped asset; the same sweep+kind+id again changes nothing. True when it was new. */
    async recordReaped(reaped: ReapedAsset): Promise<boolean> {
      const changed = await db.run(
        `INSERT INTO reaped (sweep_id, kind, asset_id, region, run_id, cost_usd, reaped_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sweep_id, kind, asset_id) DO NOTHING`,
        [reaped.sweepId, reaped.kind, reaped.assetId, reaped.region, reaped.runId, reaped.costUsd, toMs(reaped.reapedAt)],
      );
      return changed === 1;
    },

    /** Assets reaped at or after `since`, oldest first; what dry-run sweeps recorded only on request. */
    async reapedSince(since: Date, options: { includeDryRun?: boolean } = {}): Promise<ReapedAsset[]> {
      const rows = await db.query<ReapedRow>(
        `SELECT r.sweep_id, r.kind, r.asset_id, r.region, r.run_id, r.cost_usd, r.reaped_at
         FROM reaped r JOIN sweeps s ON s.id = r.sweep_id
         WHERE r.reaped_at >= ? AND (s.dry_run = 0 OR ? = 1)
         ORDER BY r.reaped_at, r.sweep_id, r.kind, r.asset_id`,
        [toMs(since), options.includeDryRun ? 1 : 0],
      );
      return rows.map(reapedFromRow);
    },
  };
}

export type AuditQueries = ReturnType<typeof auditQueries>;
