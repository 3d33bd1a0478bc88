// The image manifest's history: every version written, with who wrote it and why (a promotion, a
// bake's candidate). The file (or repository) holds the current one; this is its audit trail, and
// the list of every AMI any version referenced (the sweeper never reaps those).

import type { Db } from './db.ts';
import { toJson, toMs } from './rows.ts';

export interface ManifestVersion {
  seq: number;
  at: Date;
  author: string;
  reason: string;
  manifest: unknown;
}

export function manifestQueries(db: Db) {
  return {
    async recordManifest(v: { at: Date; author: string; reason: string; manifest: unknown }): Promise<void> {
      await db.run('INSERT INTO image_manifests (at, author, reason, manifest) VALUES (?, ?, ?, ?)', [toMs(v.at), v.author, v.reason, toJson(v.manifest)]);
    },

    /** Newest first; the manifests as saved (parse them before trusting their shape). */
    async manifestHistory(limit = 100): Promise<ManifestVersion[]> {
      const rows = await db.query<{ seq: number; at: number; author: string; reason: string; manifest: string }>(
        'SELECT seq, at, author, reason, manifest FROM image_manifests ORDER BY seq DESC LIMIT ?',
        [limit],
      );
      return rows.map((r) => ({ seq: Number(r.seq), at: new Date(Number(r.at)), author: r.author, reason: r.reason, manifest: JSON.parse(r.manifest) as unknown }));
    },
  };
}

export type ManifestQueries = ReturnType<typeof manifestQueries>;
