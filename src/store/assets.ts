// The AWS assets each run created, as remembered by the store (teardown and the sweeper also
// search AWS by tag, so this is the fast path, not the only one).

import type { Asset, AssetKind } from '../domain/asset.ts';
import type { Db } from './db.ts';
import { assetFromRow, toMs, type AssetRow } from './rows.ts';

const ASSET_COLUMNS = 'run_id, kind, asset_id, region, created_at, deleted_at';

export function assetQueries(db: Db) {
  return {
    /** Remembers an asset; recording the same run+kind+id again changes nothing. True when it was new. */
    async recordAsset(asset: Asset): Promise<boolean> {
      const changed = await db.run(
        `INSERT INTO assets (run_id, kind, asset_id, region, created_at, deleted_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, kind, asset_id) DO NOTHING`,
        [asset.runId, asset.kind, asset.id, asset.region, toMs(asset.createdAt), toMs(asset.deletedAt)],
      );
      return changed === 1;
    },

    /** Marks the asset gone (keeping the first time it was seen gone); returns how many records changed. */
    async markAssetDeleted(kind: AssetKind, id: string, at: Date): Promise<number> {
      return db.run('UPDATE assets SET deleted_at = ? WHERE kind = ? AND asset_id = ? AND deleted_at IS NULL', [toMs(at), kind, id]);
    },

    /**
     * Hands the live assets `fromRunId` recorded of these kinds over to `toRunId` (a launch that claimed a
     * warm pool member takes its instance, volumes and network interface); returns how many moved.
     */
    async moveAssets(fromRunId: string, toRunId: string, kinds: readonly AssetKind[]): Promise<number> {
      if (kinds.length === 0) return 0;
      return db.run(
        `UPDATE assets SET run_id = ? WHERE run_id = ? AND deleted_at IS NULL AND kind IN (${kinds.map(() => '?').join(', ')})`,
        [toRunId, fromRunId, ...kinds],
      );
    },

    /** Oldest first. */
    async getAssets(runId: string): Promise<Asset[]> {
      const rows = await db.query<AssetRow>(
        `SELECT ${ASSET_COLUMNS} FROM assets WHERE run_id = ? ORDER BY created_at, kind, asset_id`,
        [runId],
      );
      return rows.map(assetFromRow);
    },

    /** Every asset not yet marked deleted, across runs, oldest first. */
    async liveAssets(): Promise<Asset[]> {
      const rows = await db.query<AssetRow>(
        `SELECT ${ASSET_COLUMNS} FROM assets WHERE deleted_at IS NULL ORDER BY created_at, run_id, kind, asset_id`,
      );
      return rows.map(assetFromRow);
    },
  };
}

export type AssetQueries = ReturnType<typeof assetQueries>;
