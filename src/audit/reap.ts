// Reaping: for each orphan that is due, look again just before deleting it (does it still exist, is it
// still ours, still an orphan, still marked, not protected, and whatever its kind holds it back for —
// an instance with a protected volume attached, which terminating it would delete too) and only then
// delete it. "Already gone" counts as done. Re-checks are batched per kind (one Describe* with an id
// filter), deletes are one call each; both are the kind's own (src/aws/kinds).

import type { AwsClients } from '../aws/clients.ts';
import { chunks, type AwsCalls } from '../aws/calls.ts';
import { describeAwsError, isNotFound } from '../aws/errors.ts';
import { PAGE_MAX } from '../aws/kinds/describe.ts';
import { descriptorOf, type FoundAsset, type ReapScope } from '../aws/kinds/index.ts';
import type { ReapPart } from '../aws/kinds/types.ts';
import type { AssetKind } from '../domain/asset.ts';
import { markOf } from './plan.ts';
import { classify, type RuleContext } from './rules.ts';
import type { SkippedEntry } from './types.ts';

export interface DueAsset {
  asset: FoundAsset;
  runId: string | null;
  costUsd: number;
}

export interface ReapOutcome {
  due: DueAsset;
  /** Deleted now, or found already gone. */
  done: boolean;
  alreadyGone: boolean;
  /** What went with it (an AMI's snapshots). */
  with: string[];
  /** Why it was left alone (re-check) or what failed. */
  skipped: string | null;
  /** It stopped being an orphan: its mark should go. */
  unmark: boolean;
}

export interface ReapDeps {
  aws: AwsClients;
  calls: AwsCalls;
  /** The rules as they stand now (runs re-read from the store just before). */
  rules: RuleContext;
  /** Marks of targets (kept in the store, not in tags). */
  targetMarks: ReadonlyMap<string, Date>;
}

/** The kind's re-check and delete; every kind the inventory lists has them. */
export function reapPart(kind: AssetKind): ReapPart {
  const part = descriptorOf(kind).reap;
  if (!part) throw new Error(`the sweeper cannot reap a ${kind}`);
  return part;
}

function scopeOf(deps: ReapDeps, region: string): ReapScope {
  return { ec2: deps.aws.ec2(region), calls: deps.calls, aws: deps.aws, region, protectTag: deps.rules.protectTag };
}

/** The assets of `due` as AWS shows them now; an id missing from the answer is gone. */
async function recheck(deps: ReapDeps, region: string, kind: AssetKind, due: DueAsset[]): Promise<Map<string, FoundAsset>> {
  const fresh = new Map<string, FoundAsset>();
  for (const batch of chunks(due, PAGE_MAX.filterValues)) {
    for (const a of await reapPart(kind).recheck(scopeOf(deps, region), batch.map((d) => d.asset))) fresh.set(a.id, a);
  }
  return fresh;
}

/** Why `fresh` must not be deleted now, or null when it may. */
function refusal(deps: ReapDeps, fresh: FoundAsset): { why: string; unmark: boolean } | null {
  const verdict = classify(fresh, deps.rules);
  if (!verdict.orphan) return { why: `no longer an orphan: ${verdict.why}`, unmark: true };
  const mark = markOf(fresh, deps.targetMarks);
  if (mark === null) return { why: 'its reap-after mark is gone', unmark: false };
  if (mark.getTime() > deps.rules.now.getTime()) return { why: `its reap-after mark moved to ${mark.toISOString()}`, unmark: false };
  return reapPart(fresh.kind).hold?.(fresh, deps.rules.protectTag) ?? null;
}

/** Re-checks and reaps the due assets of one region and kind. Never throws: failures are outcomes. */
export async function reapGroup(deps: ReapDeps, region: string, kind: AssetKind, due: DueAsset[]): Promise<ReapOutcome[]> {
  let fresh: Map<string, FoundAsset>;
  try {
    fresh = await recheck(deps, region, kind, due);
  } catch (err) {
    const why = `could not re-check before deleting (${describeAwsError(err)}); left for the next sweep`;
    return due.map((d) => ({ due: d, done: false, alreadyGone: false, with: [], skipped: why, unmark: false }));
  }
  const part = reapPart(kind);
  const out: ReapOutcome[] = [];
  for (const d of due) {
    const now = fresh.get(d.asset.id);
    if (!now || part.gone?.(now)) {
      out.push({ due: d, done: true, alreadyGone: true, with: [], skipped: null, unmark: false });
      continue;
    }
    let refused: { why: string; unmark: boolean } | null;
    try {
      refused = refusal(deps, now);
    } catch (err) {
      // E.g. its asset-id tag now names a run this sweep did not load: look again next time.
      refused = { why: `re-check failed (${err instanceof Error ? err.message : String(err)})`, unmark: false };
    }
    if (refused) {
      out.push({ due: d, done: false, alreadyGone: false, with: [], skipped: refused.why, unmark: refused.unmark });
      continue;
    }
    try {
      const extra = await part.remove(scopeOf(deps, region), now);
      out.push({ due: d, done: true, alreadyGone: false, with: extra, skipped: null, unmark: false });
    } catch (err) {
      if (isNotFound(err)) out.push({ due: d, done: true, alreadyGone: true, with: [], skipped: null, unmark: false });
      else out.push({ due: d, done: false, alreadyGone: false, with: [], skipped: `delete failed: ${describeAwsError(err)}`, unmark: false });
    }
  }
  return out;
}

export type { SkippedEntry };
