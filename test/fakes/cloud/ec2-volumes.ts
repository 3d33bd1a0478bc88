// EBS volumes: the ones RunInstances creates from the AMI's block devices (as overridden by the call's
// BlockDeviceMappings), DescribeVolumes with filters and pagination, DeleteVolume.

import type {
  BlockDeviceMapping,
  DeleteVolumeRequest,
  DescribeVolumesRequest,
  DescribeVolumesResult,
  Volume,
} from '@aws-sdk/client-ec2';
import type { Ctx } from './context.ts';
import { ec2Error } from './errors.ts';
import { matchesFilters, validateFilters } from './filters.ts';
import { newId } from './ids.ts';
import { live, tagList, type FakeBlockDevice, type FakeImage, type FakeInstance, type FakeVolume, type Tags } from './model.ts';
import { paginate } from './paginate.ts';

const VOLUME_TYPES = ['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard'];
const VOLUME_FILTERS = [
  'volume-id', 'status', 'size', 'volume-type', 'snapshot-id', 'availability-zone', 'create-time', 'encrypted',
  'attachment.instance-id', 'attachment.delete-on-termination', 'attachment.status', 'attachment.device',
];

interface PlannedDevice extends FakeBlockDevice {
  iops: number | undefined;
  throughput: number | undefined;
}

/** The AMI's devices with the call's overrides applied, validated the way EC2 validates them. */
export function planBlockDevices(ctx: Ctx, image: FakeImage, mappings: readonly BlockDeviceMapping[] | undefined): PlannedDevice[] {
  const devices = new Map<string, PlannedDevice>(image.blockDevices.map((d) => [d.deviceName, { ...d, iops: undefined, throughput: undefined }]));
  for (const m of mappings ?? []) {
    if (!m.DeviceName) throw ec2Error('MissingParameter', 'The request must contain the parameter BlockDeviceMapping.DeviceName');
    if (m.NoDevice !== undefined) {
      devices.delete(m.DeviceName);
      continue;
    }
    if (!m.Ebs) continue;
    const base = devices.get(m.DeviceName);
    const snapshotId = m.Ebs.SnapshotId ?? base?.snapshotId;
    const snapshot = snapshotId ? live(ctx.region.snapshots.get(snapshotId)) : undefined;
    if (snapshotId && !snapshot) throw ec2Error('InvalidSnapshot.NotFound', `The snapshot '${snapshotId}' does not exist.`);
    const size = m.Ebs.VolumeSize ?? base?.volumeSize ?? snapshot?.volumeSize;
    if (size === undefined) throw ec2Error('InvalidBlockDeviceMapping', `Volume size or snapshot is required for device ${m.DeviceName}`);
    const type = m.Ebs.VolumeType ?? base?.volumeType ?? 'gp2';
    if (!VOLUME_TYPES.includes(type)) throw ec2Error('InvalidParameterValue', `Value (${type}) for parameter volumeType is invalid.`);
    if (!Number.isInteger(size) || size < 1 || size > 16384) throw ec2Error('InvalidParameterValue', `Volume size ${size} is invalid (1-16384 GiB)`);
    if (snapshot && size < snapshot.volumeSize) {
      throw ec2Error('InvalidBlockDeviceMapping', `Volume of size ${size}GB is smaller than snapshot '${snapshot.id}', expect size >= ${snapshot.volumeSize}GB`);
    }
    devices.set(m.DeviceName, {
      deviceName: m.DeviceName,
      snapshotId,
      volumeSize: size,
      volumeType: type,
      deleteOnTermination: m.Ebs.DeleteOnTermination ?? base?.deleteOnTermination ?? true,
      iops: m.Ebs.Iops,
      throughput: m.Ebs.Throughput,
    });
  }
  return [...devices.values()];
}

export function createInstanceVolumes(ctx: Ctx, inst: FakeInstance, devices: readonly PlannedDevice[], tags: Tags | undefined): string[] {
  return devices.map((d) => {
    const volumeId = newId('vol');
    const volTags = new Map(tags);
    ctx.region.volumes.set(volumeId, {
      id: volumeId,
      size: d.volumeSize,
      volumeType: d.volumeType,
      az: inst.az,
      snapshotId: d.snapshotId,
      attachment: { instanceId: inst.id, device: d.deviceName, deleteOnTermination: d.deleteOnTermination, attachedAt: ctx.now },
      iops: d.iops ?? (d.volumeType === 'gp3' ? 3000 : undefined),
      throughput: d.throughput ?? (d.volumeType === 'gp3' ? 125 : undefined),
      tags: volTags,
      createdAt: ctx.now,
      deletedAt: null,
    });
    ctx.cloud.recordCreation(ctx.region.name, 'volume', volumeId, volTags);
    return volumeId;
  });
}

export function renderVolume(v: FakeVolume): Volume {
  return {
    VolumeId: v.id,
    Size: v.size,
    VolumeType: v.volumeType as Volume['VolumeType'],
    AvailabilityZone: v.az,
    State: v.attachment ? 'in-use' : 'available',
    CreateTime: new Date(v.createdAt),
    Encrypted: false,
    ...(v.snapshotId ? { SnapshotId: v.snapshotId } : { SnapshotId: '' }),
    ...(v.iops !== undefined ? { Iops: v.iops } : {}),
    ...(v.throughput !== undefined ? { Throughput: v.throughput } : {}),
    Attachments: v.attachment
      ? [{ VolumeId: v.id, InstanceId: v.attachment.instanceId, Device: v.attachment.device, State: 'attached', DeleteOnTermination: v.attachment.deleteOnTermination, AttachTime: new Date(v.attachment.attachedAt) }]
      : [],
    MultiAttachEnabled: false,
    Tags: tagList(v.tags),
  };
}

function volumeFields(v: FakeVolume) {
  return {
    'volume-id': v.id,
    status: v.attachment ? 'in-use' : 'available',
    size: v.size,
    'volume-type': v.volumeType,
    'snapshot-id': v.snapshotId,
    'availability-zone': v.az,
    'create-time': new Date(v.createdAt).toISOString(),
    encrypted: 'false',
    'attachment.instance-id': v.attachment?.instanceId,
    'attachment.delete-on-termination': v.attachment ? String(v.attachment.deleteOnTermination) : undefined,
    'attachment.status': v.attachment ? 'attached' : undefined,
    'attachment.device': v.attachment?.device,
  };
}

export function describeVolumes(ctx: Ctx, input: DescribeVolumesRequest): DescribeVolumesResult {
  if (input.VolumeIds?.length && input.MaxResults !== undefined) {
    throw ec2Error('InvalidParameterCombination', 'The parameter volumeSet cannot be used with the parameter maxResults');
  }
  validateFilters(input.Filters, VOLUME_FILTERS);
  let vols = [...ctx.region.volumes.values()].filter((v) => v.deletedAt === null);
  if (input.VolumeIds?.length) {
    const missing = input.VolumeIds.filter((id) => !vols.some((v) => v.id === id));
    if (missing.length > 0) throw ec2Error('InvalidVolume.NotFound', `The volume '${missing.join(', ')}' does not exist.`);
    vols = vols.filter((v) => input.VolumeIds?.includes(v.id));
  }
  const matched = vols.filter((v) => matchesFilters(input.Filters, volumeFields(v), v.tags));
  const page = paginate(matched, (v) => v.id, input.MaxResults, input.NextToken, { op: 'DescribeVolumes', service: 'ec2', min: 5, max: 500, capAbove: true });
  return { Volumes: page.items.map(renderVolume), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
}

export function deleteVolume(ctx: Ctx, input: DeleteVolumeRequest): object {
  const id = input.VolumeId ?? '';
  const vol = live(ctx.region.volumes.get(id));
  if (!vol) throw ec2Error('InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
  if (vol.attachment) throw ec2Error('VolumeInUse', `Volume ${id} is currently attached to ${vol.attachment.instanceId}`);
  vol.deletedAt = ctx.now;
  return {};
}
