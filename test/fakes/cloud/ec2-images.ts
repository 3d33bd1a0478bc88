// AMIs and their snapshots: DescribeImages / DeregisterImage, DescribeSnapshots / DeleteSnapshot.
// Like AWS, leaving out Owners / OwnerIds also lists other accounts' public images and snapshots,
// and a snapshot backing a registered AMI cannot be deleted.

import type {
  CreateImageRequest,
  CreateImageResult,
  DeleteSnapshotRequest,
  DeleteSnapshotReturnCode,
  DeregisterImageRequest,
  DeregisterImageResult,
  DescribeImagesRequest,
  DescribeImagesResult,
  DescribeSnapshotsRequest,
  DescribeSnapshotsResult,
  Image,
  Snapshot,
} from '@aws-sdk/client-ec2';
import type { Ctx } from './context.ts';
import { ec2Error } from './errors.ts';
import { matchesFilters, validateFilters } from './filters.ts';
import { live, tagList, type FakeImage, type FakeSnapshot } from './model.ts';
import { paginate } from './paginate.ts';
import { newId } from './ids.ts';
import { tagsBySpec } from './ec2-tags.ts';

const IMAGE_FILTERS = ['image-id', 'name', 'state', 'owner-id', 'is-public', 'description', 'creation-date', 'block-device-mapping.snapshot-id', 'root-device-name'];
const SNAPSHOT_FILTERS = ['snapshot-id', 'status', 'owner-id', 'volume-size', 'description', 'start-time', 'volume-id'];

function owners(ctx: Ctx, requested: readonly string[] | undefined): ((ownerId: string, isPublic: boolean) => boolean) {
  if (!requested?.length) return (ownerId, isPublic) => ownerId === ctx.cloud.accountId || isPublic;
  const ids = requested.map((o) => (o === 'self' ? ctx.cloud.accountId : o));
  return (ownerId) => ids.includes(ownerId);
}

export function renderImage(i: FakeImage): Image {
  return {
    ImageId: i.id,
    Name: i.name,
    State: i.state,
    OwnerId: i.ownerId,
    CreationDate: new Date(i.createdAt).toISOString(),
    Public: i.isPublic,
    ImageType: 'machine',
    Architecture: 'x86_64',
    VirtualizationType: 'hvm',
    Hypervisor: 'xen',
    RootDeviceName: i.rootDeviceName,
    RootDeviceType: 'ebs',
    ...(i.description ? { Description: i.description } : {}),
    BlockDeviceMappings: i.blockDevices.map((d) => ({
      DeviceName: d.deviceName,
      Ebs: { ...(d.snapshotId ? { SnapshotId: d.snapshotId } : {}), VolumeSize: d.volumeSize, VolumeType: d.volumeType as 'gp3', DeleteOnTermination: d.deleteOnTermination, Encrypted: false },
    })),
    Tags: tagList(i.tags),
    ...(i.deprecationTime ? { DeprecationTime: new Date(i.deprecationTime).toISOString() } : {}),
  };
}

function imageFields(i: FakeImage) {
  return {
    'image-id': i.id,
    name: i.name,
    state: i.state,
    'owner-id': i.ownerId,
    'is-public': String(i.isPublic),
    description: i.description,
    'creation-date': new Date(i.createdAt).toISOString(),
    'block-device-mapping.snapshot-id': i.blockDevices.flatMap((d) => d.snapshotId ?? []),
    'root-device-name': i.rootDeviceName,
  };
}

export function describeImages(ctx: Ctx, input: DescribeImagesRequest): DescribeImagesResult {
  if (input.ImageIds?.length && input.MaxResults !== undefined) {
    throw ec2Error('InvalidParameterCombination', 'The parameter ImageIds cannot be used with the parameter MaxResults');
  }
  validateFilters(input.Filters, IMAGE_FILTERS);
  const ownedBy = owners(ctx, input.Owners);
  let images = [...ctx.region.images.values()].filter((i) => i.deletedAt === null);
  // ExecutableUsers: the images those accounts may launch (theirs, public, or shared with them).
  if (input.ExecutableUsers?.length) {
    const users = input.ExecutableUsers.map((u) => (u === 'self' ? ctx.cloud.accountId : u));
    images = images.filter((i) => i.isPublic || users.some((u) => u === i.ownerId || i.launchPermissions?.has(u)));
  }
  if (input.ImageIds?.length) {
    for (const id of input.ImageIds) {
      if (!/^ami-[0-9a-f]{8,17}$/.test(id)) throw ec2Error('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
      const img = images.find((i) => i.id === id);
      if (!img || !(img.ownerId === ctx.cloud.accountId || img.isPublic)) throw ec2Error('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
    }
    images = images.filter((i) => input.ImageIds?.includes(i.id));
  }
  const matched = images.filter((i) => ownedBy(i.ownerId, i.isPublic) && matchesFilters(input.Filters, imageFields(i), i.tags));
  const page = paginate(matched, (i) => i.id, input.MaxResults, input.NextToken, { op: 'DescribeImages', service: 'ec2', min: 1, max: 1000 });
  return { Images: page.items.map(renderImage), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
}

function imagesUsing(ctx: Ctx, snapshotId: string): FakeImage[] {
  return [...ctx.region.images.values()].filter((i) => i.deletedAt === null && i.blockDevices.some((d) => d.snapshotId === snapshotId));
}

export function deregisterImage(ctx: Ctx, input: DeregisterImageRequest): DeregisterImageResult {
  const id = input.ImageId ?? '';
  const img = live(ctx.region.images.get(id));
  if (!img || img.ownerId !== ctx.cloud.accountId) throw ec2Error('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
  img.deletedAt = ctx.now;
  if (!input.DeleteAssociatedSnapshots) return { Return: true };
  const results = img.blockDevices.flatMap((d): DeleteSnapshotReturnCode[] => {
    const snap = d.snapshotId ? live(ctx.region.snapshots.get(d.snapshotId)) : undefined;
    if (!snap) return [];
    if (imagesUsing(ctx, snap.id).length > 0) return [{ SnapshotId: snap.id, ReturnCode: 'skipped' }];
    snap.deletedAt = ctx.now;
    return [{ SnapshotId: snap.id, ReturnCode: 'success' }];
  });
  return { Return: true, DeleteSnapshotResults: results };
}

export function renderSnapshot(s: FakeSnapshot): Snapshot {
  return {
    SnapshotId: s.id,
    VolumeId: 'vol-ffffffff',
    VolumeSize: s.volumeSize,
    State: s.state,
    Progress: s.state === 'completed' ? '100%' : '50%',
    StartTime: new Date(s.createdAt),
    OwnerId: s.ownerId,
    Description: s.description,
    Encrypted: false,
    StorageTier: 'standard',
    Tags: tagList(s.tags),
  };
}

function snapshotFields(s: FakeSnapshot) {
  return {
    'snapshot-id': s.id,
    status: s.state,
    'owner-id': s.ownerId,
    'volume-size': s.volumeSize,
    description: s.description,
    'start-time': new Date(s.createdAt).toISOString(),
    'volume-id': 'vol-ffffffff',
  };
}

export function describeSnapshots(ctx: Ctx, input: DescribeSnapshotsRequest): DescribeSnapshotsResult {
  if (input.SnapshotIds?.length && input.MaxResults !== undefined) {
    throw ec2Error('InvalidParameterCombination', 'The parameter SnapshotIds cannot be used with the parameter MaxResults');
  }
  validateFilters(input.Filters, SNAPSHOT_FILTERS);
  // Another account's snapshot is only visible when public; the fake treats every foreign one as public.
  const ownedBy = owners(ctx, input.OwnerIds);
  let snaps = [...ctx.region.snapshots.values()].filter((s) => s.deletedAt === null);
  if (input.SnapshotIds?.length) {
    const missing = input.SnapshotIds.filter((id) => !snaps.some((s) => s.id === id));
    if (missing.length > 0) throw ec2Error('InvalidSnapshot.NotFound', `The snapshot '${missing.join(', ')}' does not exist.`);
    snaps = snaps.filter((s) => input.SnapshotIds?.includes(s.id));
  }
  const matched = snaps.filter((s) => ownedBy(s.ownerId, s.ownerId !== ctx.cloud.accountId) && matchesFilters(input.Filters, snapshotFields(s), s.tags));
  const page = paginate(matched, (s) => s.id, input.MaxResults, input.NextToken, { op: 'DescribeSnapshots', service: 'ec2', min: 5, max: 1000 });
  return { Snapshots: page.items.map(renderSnapshot), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
}

export function deleteSnapshot(ctx: Ctx, input: DeleteSnapshotRequest): object {
  const id = input.SnapshotId ?? '';
  const snap = live(ctx.region.snapshots.get(id));
  if (!snap) throw ec2Error('InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
  if (snap.ownerId !== ctx.cloud.accountId) throw ec2Error('UnauthorizedOperation', `You are not authorized to delete snapshot ${id}`, { status: 403 });
  const user = imagesUsing(ctx, id)[0];
  if (user) throw ec2Error('InvalidSnapshot.InUse', `The snapshot ${id} is currently in use by ${user.id}`);
  snap.deletedAt = ctx.now;
  return {};
}

/**
 * CreateImage: an AMI of the instance with one snapshot per attached volume, tagged from
 * TagSpecifications (image and snapshot). It is `available` at once unless the cloud's
 * `imageState` says otherwise (tests make it `failed`, or keep it `pending`).
 */
export function createImage(ctx: Ctx, input: CreateImageRequest): CreateImageResult {
  const inst = ctx.region.instances.get(input.InstanceId ?? '');
  if (!inst || inst.deletedAt !== null) throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${input.InstanceId ?? ''}' does not exist`);
  if (!input.Name) throw ec2Error('MissingParameter', 'The request must contain the parameter name');
  if ([...ctx.region.images.values()].some((i) => i.deletedAt === null && i.ownerId === ctx.cloud.accountId && i.name === input.Name)) {
    throw ec2Error('InvalidAMIName.Duplicate', `AMI name ${input.Name} is already in use by AMI`);
  }
  const specs = tagsBySpec(input.TagSpecifications, ['image', 'snapshot'], ctx.cloud.options.strictTagValues);
  const imageId = newId('ami');
  const blockDevices = inst.volumeIds.flatMap((volumeId) => {
    const vol = ctx.region.volumes.get(volumeId);
    if (!vol) return [];
    const snapshotId = newId('snap');
    const tags = new Map(specs.get('snapshot') ?? []);
    ctx.region.snapshots.set(snapshotId, {
      id: snapshotId, volumeSize: vol.size, ownerId: ctx.cloud.accountId, description: `Created by CreateImage(${inst.id}) for ${imageId}`,
      state: 'completed', tags, createdAt: ctx.now, deletedAt: null,
    });
    ctx.cloud.recordCreation(ctx.region.name, 'snapshot', snapshotId, tags);
    return [{ deviceName: vol.attachment?.device ?? inst.rootDeviceName, snapshotId, volumeSize: vol.size, volumeType: vol.volumeType, deleteOnTermination: true }];
  });
  const tags = new Map(specs.get('image') ?? []);
  ctx.region.images.set(imageId, {
    id: imageId, name: input.Name, ownerId: ctx.cloud.accountId, isPublic: false, state: ctx.cloud.imageState,
    rootDeviceName: inst.rootDeviceName, description: input.Description, tags, createdAt: ctx.now, deletedAt: null, blockDevices,
  });
  ctx.cloud.recordCreation(ctx.region.name, 'image', imageId, tags);
  return { ImageId: imageId };
}
