// Describe* answers turned into the sweeper's assets. Two kinds are folded into another rather than
// listed on their own: a volume attached to an instance (it costs as part of that instance and goes with
// it at termination) and a snapshot behind an AMI (it goes when the AMI is deregistered).

import type { Image, Instance, KeyPairInfo, SecurityGroupRule, Snapshot, Volume } from '@aws-sdk/client-ec2';
import type { Priced } from '../cost/estimate.ts';
import { readTags } from '../aws/tags.ts';
import type { FoundAsset } from './types.ts';

export interface Described {
  instances?: Instance[];
  volumes?: Volume[];
  images?: Image[];
  snapshots?: Snapshot[];
  rules?: SecurityGroupRule[];
  keyPairs?: KeyPairInfo[];
}

const date = (d: Date | string | undefined): Date | null => {
  if (d === undefined) return null;
  const parsed = d instanceof Date ? d : new Date(d);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
};

function volumePrice(region: string, v: Volume): Priced {
  return { kind: 'volume', region, volumeType: v.VolumeType ?? 'gp2', sizeGb: v.Size ?? 0 };
}

export function instanceAsset(region: string, i: Instance, volumesById: ReadonlyMap<string, Volume>): FoundAsset {
  const state = i.State?.Name ?? 'unknown';
  const volumeIds = (i.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [m.Ebs.VolumeId] : []));
  // A stopped instance bills its volumes (and a public IP it keeps), not instance-hours.
  const billed = state === 'running' || state === 'pending';
  const priced: Priced[] = [];
  if (billed) priced.push({ kind: 'instance', region, instanceType: i.InstanceType ?? 'unknown', publicIpv4: Boolean(i.PublicIpAddress) });
  for (const id of volumeIds) {
    const v = volumesById.get(id);
    if (v) priced.push(volumePrice(region, v));
  }
  const gb = volumeIds.reduce((n, id) => n + (volumesById.get(id)?.Size ?? 0), 0);
  return {
    kind: 'instance',
    id: i.InstanceId ?? '',
    region,
    tags: readTags(i.Tags),
    createdAt: date(i.LaunchTime),
    priced,
    detail: `${i.InstanceType ?? 'instance'} ${state}${gb > 0 ? ` with ${gb} GB of volumes` : ''}`,
    extra: { state, children: volumeIds },
  };
}

export function volumeAsset(region: string, v: Volume): FoundAsset {
  return {
    kind: 'volume',
    id: v.VolumeId ?? '',
    region,
    tags: readTags(v.Tags),
    createdAt: date(v.CreateTime),
    priced: [volumePrice(region, v)],
    detail: `${v.Size ?? '?'} GB ${v.VolumeType ?? ''} volume ${v.State ?? ''}`.replace(/\s+/g, ' ').trim(),
    extra: { state: v.State ?? 'unknown' },
  };
}

export function imageSnapshots(img: Image): string[] {
  return (img.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));
}

export function imageAsset(region: string, img: Image): FoundAsset {
  const priced: Priced[] = (img.BlockDeviceMappings ?? []).flatMap((m) =>
    m.Ebs?.SnapshotId ? [{ kind: 'snapshot' as const, region, sizeGb: m.Ebs.VolumeSize ?? 0 }] : [],
  );
  const snaps = imageSnapshots(img);
  return {
    kind: 'image',
    id: img.ImageId ?? '',
    region,
    tags: readTags(img.Tags),
    createdAt: date(img.CreationDate),
    priced,
    detail: `AMI ${img.Name ?? img.ImageId ?? ''}${snaps.length ? ` and ${snaps.length} snapshot${snaps.length > 1 ? 's' : ''}` : ''}`,
    extra: { state: img.State ?? 'unknown', children: snaps },
  };
}

export function snapshotAsset(region: string, s: Snapshot): FoundAsset {
  return {
    kind: 'snapshot',
    id: s.SnapshotId ?? '',
    region,
    tags: readTags(s.Tags),
    createdAt: date(s.StartTime),
    priced: [{ kind: 'snapshot', region, sizeGb: s.VolumeSize ?? 0 }],
    detail: `${s.VolumeSize ?? '?'} GB snapshot`,
    extra: { state: s.State ?? 'unknown' },
  };
}

export function ruleAsset(region: string, r: SecurityGroupRule): FoundAsset {
  const ports = r.IpProtocol === '-1' ? 'all traffic' : r.FromPort === r.ToPort ? `port ${r.FromPort}` : `ports ${r.FromPort}-${r.ToPort}`;
  return {
    kind: 'security-group-rule',
    id: r.SecurityGroupRuleId ?? '',
    region,
    tags: readTags(r.Tags),
    // AWS does not say when a rule was made.
    createdAt: null,
    priced: [{ kind: 'free' }],
    detail: `${ports} from ${r.CidrIpv4 ?? r.CidrIpv6 ?? 'somewhere'} on ${r.GroupId ?? 'a security group'}`,
    extra: { groupId: r.GroupId ?? '', isEgress: r.IsEgress ?? false },
  };
}

export function keyPairAsset(region: string, k: KeyPairInfo): FoundAsset {
  return {
    kind: 'key-pair',
    id: k.KeyPairId ?? '',
    region,
    tags: readTags(k.Tags),
    createdAt: date(k.CreateTime),
    priced: [{ kind: 'free' }],
    detail: `key pair ${k.KeyName ?? k.KeyPairId ?? ''}`,
    extra: { keyName: k.KeyName ?? '' },
  };
}

/**
 * The assets of one region. Attached volumes fold into their instance when that instance is listed too
 * (else they are in use by something else and left alone); snapshots behind any listed AMI, or behind
 * one of `usedSnapshots` (configured AMIs'), are never assets of their own; pending ones are still being made.
 */
export function foundAssets(region: string, d: Described, usedSnapshots: ReadonlySet<string> = new Set()): FoundAsset[] {
  const volumesById = new Map((d.volumes ?? []).map((v) => [v.VolumeId ?? '', v]));
  const out: FoundAsset[] = [];
  for (const i of d.instances ?? []) out.push(instanceAsset(region, i, volumesById));
  for (const v of d.volumes ?? []) {
    if ((v.Attachments ?? []).length === 0 && v.State !== 'in-use') out.push(volumeAsset(region, v));
  }
  const behindImages = new Set(usedSnapshots);
  for (const img of d.images ?? []) {
    for (const s of imageSnapshots(img)) behindImages.add(s);
    out.push(imageAsset(region, img));
  }
  for (const s of d.snapshots ?? []) {
    if (!behindImages.has(s.SnapshotId ?? '') && s.State !== 'pending') out.push(snapshotAsset(region, s));
  }
  for (const r of d.rules ?? []) out.push(ruleAsset(region, r));
  for (const k of d.keyPairs ?? []) out.push(keyPairAsset(region, k));
  return out.filter((a) => a.id !== '');
}
