// From the inventory to a plan: which assets are orphans (with reason and cost), which need the mark,
// which lost their reason to be marked, and which are due for reaping.

import { descriptorOf } from '../aws/kinds/index.ts';
import { TAG, parseTagTime } from '../aws/tags.ts';
import type { Prices } from '../cost/prices.ts';
import { classify, isOurs, type RuleContext } from './rules.ts';
import { orphanCost } from './orphan-cost.ts';
import type { FoundAsset, OrphanEntry } from './types.ts';

export interface PlannedOrphan {
  asset: FoundAsset;
  entry: OrphanEntry;
}

export interface Plan {
  orphans: PlannedOrphan[];
  /** Orphans without a mark yet. */
  toMark: PlannedOrphan[];
  /** Assets that carry a mark but are no longer orphans (protected, run extended...). */
  toUnmark: FoundAsset[];
  /** Orphans marked and past their grace period. */
  due: PlannedOrphan[];
  unpriced: string[];
}

/** The sweeper's mark on an asset: its reap-after tag, or (for a kind that carries no tags) the store's. */
export function markOf(asset: FoundAsset, storedMarks: ReadonlyMap<string, Date>): Date | null {
  return descriptorOf(asset.kind).marks === 'store' ? (storedMarks.get(asset.id) ?? null) : parseTagTime(asset.tags[TAG.reapAfter]);
}

export function plan(assets: readonly FoundAsset[], rules: RuleContext, prices: Prices, targetMarks: ReadonlyMap<string, Date>): Plan {
  const out: Plan = { orphans: [], toMark: [], toUnmark: [], due: [], unpriced: [] };
  const now = rules.now.getTime();
  for (const asset of assets) {
    const verdict = classify(asset, rules);
    const mark = markOf(asset, targetMarks);
    if (!verdict.orphan) {
      // Only our own marks are taken back: one kept in our store is, a tag must be on something of ours.
      if (mark !== null && (descriptorOf(asset.kind).marks === 'store' || isOurs(asset.tags, rules.installation))) out.toUnmark.push(asset);
      continue;
    }
    const ageMs = Math.max(0, now - verdict.since.getTime());
    const cost = orphanCost(prices, asset, ageMs);
    for (const u of cost.unknown) out.unpriced.push(`${asset.kind} ${asset.id}: ${u}`);
    const entry: OrphanEntry = {
      kind: asset.kind,
      id: asset.id,
      region: asset.region,
      env: asset.tags[TAG.env] || asset.extra.env || null,
      runId: asset.tags[TAG.assetId] || null,
      requester: asset.tags[TAG.requestedBy] || null,
      reason: verdict.reason,
      detail: asset.detail,
      ageMs,
      accruedUsd: cost.accruedUsd,
      dailyUsd: cost.dailyUsd,
      reapAfter: mark,
      marked: mark !== null,
      due: mark !== null && mark.getTime() <= now,
    };
    const planned = { asset, entry };
    out.orphans.push(planned);
    if (!entry.marked) out.toMark.push(planned);
    else if (entry.due) out.due.push(planned);
  }
  return out;
}
