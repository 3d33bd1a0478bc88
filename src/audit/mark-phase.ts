// Step 4 of a sweep: mark the orphans found for the first time (reap no sooner than `reapAfter`) and take
// the mark back from assets that are no longer orphans. Tags go out per region in batches; the marks of
// kinds that carry no tags (targets) change in the map the caller saves to the store.

import pLimit from 'p-limit';
import type { AwsClients } from '../aws/clients.ts';
import { descriptorOf } from '../aws/kinds/index.ts';
import { describeAwsError } from '../aws/errors.ts';
import { isUserError } from '../errors.ts';
import type { AwsCalls } from '../aws/calls.ts';
import { markAssets, tagCalls, unmarkAssets } from './marks.ts';
import type { Plan } from './plan.ts';
import type { FoundAsset } from './types.ts';

export interface MarkPhase {
  marked: number;
  unmarked: number;
  minimumCalls: number;
  errors: string[];
}

/** A sweep's problem in one line: a person's message, or what AWS said. */
export function problemLine(err: unknown): string {
  return isUserError(err) ? err.message : describeAwsError(err);
}

export function byRegion<T>(items: readonly T[], region: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) out.set(region(item), [...(out.get(region(item)) ?? []), item]);
  return out;
}

/** Marks and unmarks; updates the plan's orphan entries (`marked`, `reapAfter`) for what was marked. */
export async function applyMarks(
  deps: { aws: AwsClients; calls: AwsCalls; regionConcurrency: number },
  planned: Plan,
  targetMarks: Map<string, Date>,
  reapAfter: Date,
): Promise<MarkPhase> {
  const out: MarkPhase = { marked: 0, unmarked: 0, minimumCalls: 0, errors: [] };
  const tagged = (kind: FoundAsset['kind']) => descriptorOf(kind).marks === 'tag';
  const markRegions = byRegion(planned.toMark.filter((o) => tagged(o.asset.kind)), (o) => o.asset.region);
  const unmarkRegions = byRegion(planned.toUnmark.filter((a) => tagged(a.kind)), (a) => a.region);
  const limit = pLimit(Math.max(1, deps.regionConcurrency));
  const regions = new Set([...markRegions.keys(), ...unmarkRegions.keys()]);
  await Promise.all(
    [...regions].map((region) =>
      limit(async () => {
        const ec2 = deps.aws.ec2(region);
        const marks = markRegions.get(region) ?? [];
        try {
          const done = new Set(await markAssets(ec2, deps.calls, marks.map((o) => o.asset.id), reapAfter));
          for (const o of marks) {
            if (!done.has(o.asset.id)) continue;
            o.entry.marked = true;
            o.entry.reapAfter = reapAfter;
            out.marked++;
          }
          out.minimumCalls += tagCalls(marks.length);
        } catch (err) {
          out.errors.push(`${region}: marking ${marks.length} orphans failed (${problemLine(err)})`);
        }
        const unmarks = unmarkRegions.get(region) ?? [];
        try {
          out.unmarked += (await unmarkAssets(ec2, deps.calls, unmarks.map((a) => a.id))).length;
          out.minimumCalls += tagCalls(unmarks.length);
        } catch (err) {
          out.errors.push(`${region}: removing ${unmarks.length} stale marks failed (${problemLine(err)})`);
        }
      }),
    ),
  );
  for (const o of planned.toMark) {
    if (tagged(o.asset.kind)) continue;
    targetMarks.set(o.asset.id, reapAfter);
    o.entry.marked = true;
    o.entry.reapAfter = reapAfter;
    out.marked++;
  }
  for (const a of planned.toUnmark) if (!tagged(a.kind) && targetMarks.delete(a.id)) out.unmarked++;
  return out;
}
