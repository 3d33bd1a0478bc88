// AMIs of ours (the environments' configured AMIs are never orphans) and the snapshots behind them,
// which are priced with the AMI and deleted with it.
import { DeleteSnapshotCommand, DeregisterImageCommand, type Image } from '@aws-sdk/client-ec2';
import { awsErrorCode, isNotFound } from '../errors.ts';
import { readTags } from '../tags.ts';
import type { Priced } from '../../cost/estimate.ts';
import { PAGE_MAX, idFilter, listImages, pagesFor, parseDate } from './describe.ts';
import type { AssetKindDescriptor, FoundAsset } from './types.ts';

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
    createdAt: parseDate(img.CreationDate),
    priced,
    detail: `AMI ${img.Name ?? img.ImageId ?? ''}${snaps.length ? ` and ${snaps.length} snapshot${snaps.length > 1 ? 's' : ''}` : ''}`,
    extra: { state: img.State ?? 'unknown', children: snaps },
  };
}

export const image: AssetKindDescriptor<'image'> = {
  kind: 'image',
  singular: 'AMI',
  plural: 'AMIs',
  ec2ResourceType: 'image',
  // A bake's candidate (tagged at creation, with its snapshots).
  createdBy: 'CreateImage',
  marks: 'tag',
  retagOnKeep: false,
  rule: 'image',
  configured: {
    refs: (config) => Object.values(config.environments).map((e) => e.ami),
    of: (a) => a.id,
  },
  // CopyImage: a promotion's release copies; ModifyImageAttribute (launch permissions) and
  // EnableImageDeprecation act on images of ours only.
  iam: {
    read: ['ec2:DescribeImages', 'ec2:DescribeImageAttribute'],
    create: ['ec2:CreateImage', 'ec2:CopyImage'],
    remove: ['ec2:DeregisterImage', 'ec2:DeleteSnapshot', 'ec2:ModifyImageAttribute', 'ec2:EnableImageDeprecation'],
  },
  leftBehind: () => 'image left behind',
  swept: {
    taggingType: 'ec2:image',
    list: (scope, owned) => listImages(scope, owned, ['self']),
    minimumCalls: (n) => pagesFor(n, PAGE_MAX.images),
    assets: (region, items) => (items as Image[]).map((img) => imageAsset(region, img)),
  },
  reap: {
    async recheck(scope, due) {
      return (await listImages(scope, [idFilter('image-id', due.map((d) => d.id))], ['self'])).items.map((img) => imageAsset(scope.region, img));
    },
    recheckCalls: (batches) => batches,
    async remove(scope, a) {
      const send = scope.calls.send.bind(scope.calls);
      await send((o) => scope.ec2.send(new DeregisterImageCommand({ ImageId: a.id }), o));
      const gone: string[] = [];
      for (const snapshotId of a.extra.children ?? []) {
        try {
          await send((o) => scope.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }), o));
          gone.push(snapshotId);
        } catch (err) {
          if (isNotFound(err)) gone.push(snapshotId);
          // Another AMI still uses it: it stays, and a later sweep prices it on its own.
          else if (awsErrorCode(err) !== 'InvalidSnapshot.InUse') throw err;
        }
      }
      return gone;
    },
    takesAlong: 'snapshot',
  },
};
