// EBS snapshots of ours that no AMI uses (those behind an AMI are the AMI's, and go with it).
import { DeleteSnapshotCommand, type Image, type Snapshot } from '@aws-sdk/client-ec2';
import { readTags } from '../tags.ts';
import { PAGE_MAX, idFilter, listImages, listSnapshots, pagesFor, parseDate } from './describe.ts';
import { imageSnapshots } from './image.ts';
import type { AssetKindDescriptor, FoundAsset } from './types.ts';

export function snapshotAsset(region: string, s: Snapshot): FoundAsset {
  return {
    kind: 'snapshot',
    id: s.SnapshotId ?? '',
    region,
    tags: readTags(s.Tags),
    createdAt: parseDate(s.StartTime),
    priced: [{ kind: 'snapshot', region, sizeGb: s.VolumeSize ?? 0 }],
    detail: `${s.VolumeSize ?? '?'} GB snapshot`,
    extra: { state: s.State ?? 'unknown' },
  };
}

export const snapshot: AssetKindDescriptor<'snapshot'> = {
  kind: 'snapshot',
  singular: 'snapshot',
  plural: 'snapshots',
  ec2ResourceType: 'snapshot',
  createdBy: 'CreateImage',
  marks: 'tag',
  retagOnKeep: false,
  rule: 'run',
  iam: { read: ['ec2:DescribeSnapshots', 'ec2:DescribeImages'], create: ['ec2:CreateImage', 'ec2:CopyImage'], remove: ['ec2:DeleteSnapshot'] },
  leftBehind: () => 'snapshot used by no AMI',
  swept: {
    taggingType: 'ec2:snapshot',
    list: (scope, owned) => listSnapshots(scope, owned),
    minimumCalls: (n) => pagesFor(n, PAGE_MAX.snapshots),
    assets(region, items, ctx) {
      // Behind a listed AMI or a configured one: not an asset of its own; pending: still being made.
      const behindImages = new Set(ctx.configuredSnapshots);
      for (const img of ctx.listed('image') as Image[]) for (const s of imageSnapshots(img)) behindImages.add(s);
      return (items as Snapshot[]).filter((s) => !behindImages.has(s.SnapshotId ?? '') && s.State !== 'pending').map((s) => snapshotAsset(region, s));
    },
  },
  reap: {
    async recheck(scope, due) {
      const batch = due.map((d) => d.id);
      const snaps = (await listSnapshots(scope, [idFilter('snapshot-id', batch)])).items;
      // A snapshot some AMI (anyone's in this account) now uses is not an orphan any more.
      const users = (await listImages(scope, [idFilter('block-device-mapping.snapshot-id', batch)], ['self'])).items;
      const inUse = new Set(users.flatMap((img) => (img.BlockDeviceMappings ?? []).map((m) => m.Ebs?.SnapshotId ?? '')));
      return snaps.map((s) => {
        const a = snapshotAsset(scope.region, s);
        if (inUse.has(a.id)) a.extra.state = 'in-use';
        return a;
      });
    },
    // Also the AMIs that might use them.
    recheckCalls: (batches) => 2 * batches,
    hold: (fresh) => (fresh.extra.state === 'in-use' ? { why: 'an AMI uses the snapshot now', unmark: true } : null),
    async remove(scope, a) {
      await scope.calls.send((o) => scope.ec2.send(new DeleteSnapshotCommand({ SnapshotId: a.id }), o));
      return [];
    },
  },
};
