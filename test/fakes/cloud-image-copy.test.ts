// What a promotion asks of the fake cloud: CopyImage (a new AMI in the client's region, copies of the
// source's snapshots, tags from TagSpecifications, pending until its time on the fake clock, one copy
// per ClientToken), launch permissions, and deprecation as AWS documents them.
import {
  CopyImageCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeSnapshotsCommand,
  EnableImageDeprecationCommand,
  ModifyImageAttributeCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.ts';
import { awsErrorCode } from '../../src/aws/errors.ts';
import { FakeCloud, createFakeAwsClients } from './cloud/index.ts';

const WEST = 'eu-west-1';
const EAST = 'us-east-1';
let cloud: FakeCloud;
let aws: AwsClients;
let source: string;
beforeEach(() => {
  cloud = new FakeCloud({ copyImageMs: 60_000 });
  aws = createFakeAwsClients(cloud);
  source = cloud.addImage({ region: WEST, name: 'mentor-app-candidate-x', snapshotSizeGb: 30, tags: { team: 'qa' } }).imageId;
});

const copy = (name: string, over: Record<string, unknown> = {}) =>
  aws.ec2(EAST).send(
    new CopyImageCommand({
      SourceImageId: source,
      SourceRegion: WEST,
      Name: name,
      TagSpecifications: [
        { ResourceType: 'image', Tags: [{ Key: 'asset-id', Value: 'promote-1' }] },
        { ResourceType: 'snapshot', Tags: [{ Key: 'asset-id', Value: 'promote-1' }] },
      ],
      ...over,
    }),
  );

describe('CopyImage', () => {
  it('makes a pending AMI in the target region with its own tagged snapshot, available after copyImageMs', async () => {
    const { ImageId } = await copy('mentor-app-x');
    const ec2 = aws.ec2(EAST);
    const pending = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!;
    expect(pending.State).toBe('pending');
    expect(pending.Tags).toEqual([{ Key: 'asset-id', Value: 'promote-1' }]);
    const snap = pending.BlockDeviceMappings![0]!.Ebs!;
    expect(snap.VolumeSize).toBe(30);
    const snapshot = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }))).Snapshots![0]!;
    expect(snapshot).toMatchObject({ State: 'pending', Tags: [{ Key: 'asset-id', Value: 'promote-1' }] });
    expect(cloud.tagsAtCreation(ImageId!)).toEqual({ 'asset-id': 'promote-1' });
    cloud.advance(59_000);
    expect((await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!.State).toBe('pending');
    cloud.advance(1_000);
    expect((await ec2.send(new DescribeImagesCommand({ ImageIds: [ImageId!] }))).Images![0]!.State).toBe('available');
    expect((await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snap.SnapshotId!] }))).Snapshots![0]!.State).toBe('completed');
    // The source is where it was, in its own region only.
    expect(cloud.region(EAST).images.has(source)).toBe(false);
  });

  it('one copy per ClientToken; a taken name, or a source that does not exist, is refused as AWS does', async () => {
    const a = await copy('mentor-app-y', { ClientToken: 'promote-1:us-east-1' });
    const b = await copy('mentor-app-y', { ClientToken: 'promote-1:us-east-1' });
    expect(b.ImageId).toBe(a.ImageId);
    expect(await copy('mentor-app-y').catch(awsErrorCode)).toBe('InvalidAMIName.Duplicate');
    expect(await copy('other', { SourceImageId: 'ami-0123456789abcdef0' }).catch(awsErrorCode)).toBe('InvalidAMIID.NotFound');
    cloud.copyImageFails.add(EAST);
    const failing = (await copy('mentor-app-z')).ImageId!;
    cloud.settle();
    expect((await aws.ec2(EAST).send(new DescribeImagesCommand({ ImageIds: [failing] }))).Images![0]!.State).toBe('failed');
  });

  it('a pending copy can be deregistered (how AWS stops a copy) and its snapshot deleted', async () => {
    const { ImageId } = await copy('mentor-app-w');
    const snapshotId = cloud.region(EAST).images.get(ImageId!)!.blockDevices[0]!.snapshotId!;
    await aws.ec2(EAST).send(new DeregisterImageCommand({ ImageId }));
    await aws.ec2(EAST).send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    expect(cloud.liveAssetsTaggedWith('promote-1')).toEqual([]);
  });
});

describe('launch permissions and deprecation', () => {
  it('ModifyImageAttribute adds and removes accounts, seen in DescribeImageAttribute and DescribeImages ExecutableUsers', async () => {
    const ec2 = aws.ec2(WEST);
    await ec2.send(new ModifyImageAttributeCommand({ ImageId: source, LaunchPermission: { Add: [{ UserId: '210987654321' }, { UserId: '111122223333' }] } }));
    const perms = async () => (await ec2.send(new DescribeImageAttributeCommand({ ImageId: source, Attribute: 'launchPermission' }))).LaunchPermissions;
    expect(await perms()).toEqual([{ UserId: '210987654321' }, { UserId: '111122223333' }]);
    expect((await ec2.send(new DescribeImagesCommand({ ExecutableUsers: ['210987654321'] }))).Images!.map((i) => i.ImageId)).toEqual([source]);
    await ec2.send(new ModifyImageAttributeCommand({ ImageId: source, LaunchPermission: { Remove: [{ UserId: '111122223333' }] } }));
    expect(await perms()).toEqual([{ UserId: '210987654321' }]);
    expect((await ec2.send(new DescribeImagesCommand({ ExecutableUsers: ['111122223333'] }))).Images).toEqual([]);
    expect(await ec2.send(new ModifyImageAttributeCommand({ ImageId: source, LaunchPermission: { Add: [{ UserId: 'nobody' }] } })).catch(awsErrorCode)).toBe('InvalidAMIAttributeItemValue');
  });

  it('EnableImageDeprecation sets DeprecationTime, rounded to the minute; not in the past, not on an unknown AMI', async () => {
    const ec2 = aws.ec2(WEST);
    const at = new Date(cloud.clock.nowMs() + 30 * 86_400_000);
    at.setUTCSeconds(40, 0);
    await ec2.send(new EnableImageDeprecationCommand({ ImageId: source, DeprecateAt: at }));
    const shown = (await ec2.send(new DescribeImagesCommand({ ImageIds: [source] }))).Images![0]!.DeprecationTime!;
    expect(Date.parse(shown) - at.getTime()).toBe(20_000);
    expect(await ec2.send(new EnableImageDeprecationCommand({ ImageId: source, DeprecateAt: new Date(cloud.clock.nowMs() - 60_000) })).catch(awsErrorCode)).toBe('InvalidParameterValue');
    expect(await ec2.send(new EnableImageDeprecationCommand({ ImageId: 'ami-0123456789abcdef0', DeprecateAt: at })).catch(awsErrorCode)).toBe('InvalidAMIID.NotFound');
  });
});
