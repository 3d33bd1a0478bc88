// Reaping: for each orphan that is due, look again just before deleting it (does it still exist, is it
// still ours, still an orphan, still marked, not protected, and for an instance: no protected volume
// attached, which terminating it would delete too?) and only then delete it. "Already gone" counts as done. Re-checks are batched per kind (one Describe* with an id filter), deletes are one call each.

import {
  DeleteKeyPairCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DeregisterImageCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../aws/clients.ts';
import { awsErrorCode, describeAwsError, isNotFound } from '../aws/errors.ts';
import { isProtected, readTags, type ProtectTag } from '../aws/tags.ts';
import type { AssetKind } from '../domain/asset.ts';
import { chunks, type AwsCalls } from './aws-calls.ts';
import { PAGE_MAX, idFilter, listImages, listKeyPairs, listRules, listSnapshots, listVolumes, type Ec2Scope } from './describe.ts';
import { imageAsset, instanceAsset, keyPairAsset, ruleAsset, snapshotAsset, volumeAsset } from './found-assets.ts';
import { markOf } from './plan.ts';
import { classify, type RuleContext } from './rules.ts';
import { instancesById, registeredTargets, targetAsset } from './targets.ts';
import type { FoundAsset, SkippedEntry } from './types.ts';

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

/** Protected volumes attached to each of `instanceIds` (one listing for all of them), by instance id. */
async function protectedVolumes(scope: Ec2Scope, instanceIds: string[], protect: ProtectTag): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const v of (await listVolumes(scope, [idFilter('attachment.instance-id', instanceIds)])).items) {
    if (!isProtected(readTags(v.Tags), protect)) continue;
    for (const att of v.Attachments ?? []) {
      if (att.InstanceId) out.set(att.InstanceId, [...(out.get(att.InstanceId) ?? []), v.VolumeId ?? '']);
    }
  }
  return out;
}

/** The assets of `ids` as AWS shows them now; an id missing from the answer is gone. */
async function recheck(deps: ReapDeps, region: string, kind: AssetKind, due: DueAsset[]): Promise<Map<string, FoundAsset>> {
  const scope: Ec2Scope = { ec2: deps.aws.ec2(region), calls: deps.calls };
  const ids = due.map((d) => d.asset.id);
  const fresh = new Map<string, FoundAsset>();
  const add = (a: FoundAsset) => fresh.set(a.id, a);
  for (const batch of chunks(ids, PAGE_MAX.filterValues)) {
    switch (kind) {
      case 'instance': {
        const { found } = await instancesById(scope, batch);
        const guarded = await protectedVolumes(scope, batch, deps.rules.protectTag);
        for (const i of found.values()) {
          const a = instanceAsset(region, i, new Map());
          const vols = guarded.get(a.id);
          if (vols) a.extra.protectedVolumes = vols;
          add(a);
        }
        break;
      }
      case 'volume':
        for (const v of (await listVolumes(scope, [idFilter('volume-id', batch)])).items) add(volumeAsset(region, v));
        break;
      case 'image':
        for (const img of (await listImages(scope, [idFilter('image-id', batch)], ['self'])).items) add(imageAsset(region, img));
        break;
      case 'snapshot': {
        const snaps = (await listSnapshots(scope, [idFilter('snapshot-id', batch)])).items;
        // A snapshot some AMI (anyone's in this account) now uses is not an orphan any more.
        const users = (await listImages(scope, [idFilter('block-device-mapping.snapshot-id', batch)], ['self'])).items;
        const inUse = new Set(users.flatMap((img) => (img.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId ?? '')));
        for (const s of snaps) {
          const a = snapshotAsset(region, s);
          if (inUse.has(a.id)) a.extra.state = 'in-use';
          add(a);
        }
        break;
      }
      case 'security-group-rule':
        for (const r of (await listRules(scope, [idFilter('security-group-rule-id', batch)])).items) add(ruleAsset(region, r));
        break;
      case 'key-pair':
        for (const k of (await listKeyPairs(scope, [idFilter('key-pair-id', batch)])).items) add(keyPairAsset(region, k));
        break;
      case 'target': {
        const elbv2 = deps.aws.elbv2(region);
        const byGroup = new Map<string, DueAsset[]>();
        for (const d of due) if (batch.includes(d.asset.id)) byGroup.set(d.asset.extra.targetGroupArn ?? '', [...(byGroup.get(d.asset.extra.targetGroupArn ?? '') ?? []), d]);
        for (const [arn, list] of byGroup) {
          const env = list[0]?.asset.extra.env ?? '';
          const targets = await registeredTargets(elbv2, deps.calls, { arn, env }, list.map((d) => ({ Id: d.asset.extra.instanceId ?? '', ...(d.asset.extra.port !== undefined ? { Port: d.asset.extra.port } : {}) })));
          const { found } = targets.length > 0 ? await instancesById(scope, targets.map((t) => t.instanceId)) : { found: new Map() };
          for (const t of targets) add(targetAsset(region, t, found.get(t.instanceId)));
        }
        break;
      }
    }
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
  if (fresh.kind === 'volume' && fresh.extra.state === 'in-use') return { why: 'the volume is attached again', unmark: false };
  const guarded = fresh.extra.protectedVolumes ?? [];
  if (fresh.kind === 'instance' && guarded.length > 0) {
    const { key, value } = deps.rules.protectTag;
    const what = guarded.length === 1 ? `volume ${guarded[0]} attached to it carries` : `volumes ${guarded.join(', ')} attached to it carry`;
    return { why: `${what} ${key}=${value}`, unmark: false };
  }
  if (fresh.kind === 'snapshot' && fresh.extra.state === 'in-use') return { why: 'an AMI uses the snapshot now', unmark: true };
  return null;
}

async function remove(deps: ReapDeps, a: FoundAsset): Promise<string[]> {
  const ec2 = deps.aws.ec2(a.region);
  const send = deps.calls.send.bind(deps.calls);
  switch (a.kind) {
    case 'instance':
      await send((o) => ec2.send(new TerminateInstancesCommand({ InstanceIds: [a.id] }), o));
      return [];
    case 'volume':
      await send((o) => ec2.send(new DeleteVolumeCommand({ VolumeId: a.id }), o));
      return [];
    case 'image': {
      await send((o) => ec2.send(new DeregisterImageCommand({ ImageId: a.id }), o));
      const gone: string[] = [];
      for (const snapshotId of a.extra.children ?? []) {
        try {
          await send((o) => ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }), o));
          gone.push(snapshotId);
        } catch (err) {
          if (isNotFound(err)) gone.push(snapshotId);
          // Another AMI still uses it: it stays, and a later sweep prices it on its own.
          else if (awsErrorCode(err) !== 'InvalidSnapshot.InUse') throw err;
        }
      }
      return gone;
    }
    case 'snapshot':
      await send((o) => ec2.send(new DeleteSnapshotCommand({ SnapshotId: a.id }), o));
      return [];
    case 'security-group-rule': {
      const input = { GroupId: a.extra.groupId ?? '', SecurityGroupRuleIds: [a.id] };
      if (a.extra.isEgress) await send((o) => ec2.send(new RevokeSecurityGroupEgressCommand(input), o));
      else await send((o) => ec2.send(new RevokeSecurityGroupIngressCommand(input), o));
      return [];
    }
    case 'key-pair':
      await send((o) => ec2.send(new DeleteKeyPairCommand({ KeyPairId: a.id }), o));
      return [];
    case 'target': {
      const target = { Id: a.extra.instanceId ?? '', ...(a.extra.port !== undefined ? { Port: a.extra.port } : {}) };
      await send((o) => deps.aws.elbv2(a.region).send(new DeregisterTargetsCommand({ TargetGroupArn: a.extra.targetGroupArn ?? '', Targets: [target] }), o));
      return [];
    }
  }
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
  const out: ReapOutcome[] = [];
  for (const d of due) {
    const now = fresh.get(d.asset.id);
    const gone = !now || (kind === 'instance' && (now.extra.state === 'terminated' || now.extra.state === 'shutting-down'));
    if (gone) {
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
      const extra = await remove(deps, now);
      out.push({ due: d, done: true, alreadyGone: false, with: extra, skipped: null, unmark: false });
    } catch (err) {
      if (isNotFound(err)) out.push({ due: d, done: true, alreadyGone: true, with: [], skipped: null, unmark: false });
      else out.push({ due: d, done: false, alreadyGone: false, with: [], skipped: `delete failed: ${describeAwsError(err)}`, unmark: false });
    }
  }
  return out;
}

export type { SkippedEntry };
