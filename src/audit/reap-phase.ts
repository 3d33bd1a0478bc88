// Step 5 of a reap sweep: the due orphans re-checked and reaped, a few kinds and regions at a time, and
// the mark taken back from whatever stopped being an orphan since the inventory.

import pLimit from 'p-limit';
import type { AwsClients } from '../aws/clients.ts';
import type { AssetKind } from '../domain/asset.ts';
import { chunks, type AwsCalls } from '../aws/calls.ts';
import { PAGE_MAX } from '../aws/kinds/describe.ts';
import { descriptorOf } from '../aws/kinds/index.ts';
import { byRegion, problemLine } from './mark-phase.ts';
import { tagCalls, unmarkAssets } from './marks.ts';
import type { PlannedOrphan } from './plan.ts';
import { reapGroup, reapPart, type DueAsset, type ReapOutcome } from './reap.ts';
import type { RuleContext } from './rules.ts';
import type { FoundAsset } from './types.ts';

export interface ReapPhase {
  results: ReapOutcome[];
  minimumCalls: number;
  unmarked: number;
  errors: string[];
}

export async function reapDue(deps: { aws: AwsClients }, calls: AwsCalls, due: PlannedOrphan[], rules: RuleContext, targetMarks: Map<string, Date>): Promise<ReapPhase> {
  const groups = new Map<string, { region: string; kind: AssetKind; items: DueAsset[] }>();
  for (const o of due) {
    const key = `${o.asset.region}/${o.asset.kind}`;
    const group = groups.get(key) ?? { region: o.asset.region, kind: o.asset.kind, items: [] };
    group.items.push({ asset: o.asset, runId: o.entry.runId, costUsd: o.entry.accruedUsd ?? 0 });
    groups.set(key, group);
  }
  const limit = pLimit(4);
  const reapDeps = { aws: deps.aws, calls, rules, targetMarks };
  const results = (await Promise.all([...groups.values()].map((g) => limit(() => reapGroup(reapDeps, g.region, g.kind, g.items))))).flat();
  let minimumCalls = 0;
  for (const g of groups.values()) {
    minimumCalls += reapPart(g.kind).recheckCalls(chunks(g.items, PAGE_MAX.filterValues).length, g.items.map((d) => d.asset));
  }
  // One delete each, and one for each thing that goes with it (an AMI's snapshots).
  for (const r of results) if (r.done && !r.alreadyGone) minimumCalls += 1 + (reapPart(r.due.asset.kind).takesAlong ? (r.due.asset.extra.children ?? []).length : 0);

  // What stopped being an orphan between the inventory and the delete loses its mark now.
  const errors: string[] = [];
  let unmarked = 0;
  const stale = results.filter((r) => r.unmark).map((r) => r.due.asset);
  const tagged = (a: FoundAsset) => descriptorOf(a.kind).marks === 'tag';
  for (const t of stale.filter((a) => !tagged(a))) if (targetMarks.delete(t.id)) unmarked++;
  for (const [region, list] of byRegion(stale.filter(tagged), (a) => a.region)) {
    try {
      unmarked += (await unmarkAssets(deps.aws.ec2(region), calls, list.map((a) => a.id))).length;
      minimumCalls += tagCalls(list.length);
    } catch (err) {
      errors.push(`${region}: removing ${list.length} stale marks failed (${problemLine(err)})`);
    }
  }
  return { results, minimumCalls, unmarked, errors };
}

