// The fake's EC2 instance behaviour that stagebot's launch and teardown rely on.
import { beforeEach, describe, expect, test } from 'vitest';
import {
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../src/aws/clients.ts';
import { isCapacity } from '../../src/aws/errors.ts';
import { readTags, runTags, tagSpecifications } from '../../src/aws/tags.ts';
import { FakeCloud, createFakeAwsClients, serverError } from './cloud/index.ts';

const region = 'eu-west-1';
const runId = 'stg4-20261121-a1b2c3';
const tags = runTags({ installation: 'acme', runId, env: 'stg4', requester: 'slack:U1', source: 'slack', expiresAt: new Date('2026-11-21T18:00:00Z'), name: 'stg4 run' });

let cloud: FakeCloud;
let aws: AwsClients;
let launchInput: RunInstancesCommandInput;

beforeEach(() => {
  cloud = new FakeCloud();
  aws = createFakeAwsClients(cloud);
  const { imageId } = cloud.addImage({ region, name: 'stg4-base', snapshotSizeGb: 30 });
  const subnetId = cloud.addSubnet({ region, subnetId: 'subnet-0aa1111111111111a', vpcId: 'vpc-0stage000000000a' });
  const sg = cloud.addSecurityGroup({ region, groupId: 'sg-0c4c4c4c4c4c4c4c4', vpcId: 'vpc-0stage000000000a' });
  cloud.addKeyPair({ region, keyName: 'staging-eu' });
  launchInput = {
    ImageId: imageId,
    InstanceType: 't3.2xlarge',
    MinCount: 1,
    MaxCount: 1,
    SubnetId: subnetId,
    SecurityGroupIds: [sg],
    KeyName: 'staging-eu',
    BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 200, VolumeType: 'gp3', DeleteOnTermination: true } }],
    TagSpecifications: tagSpecifications(['instance', 'volume', 'network-interface'], tags),
    ClientToken: runId,
  };
});

const launch = (input: RunInstancesCommandInput = launchInput) => aws.ec2(region).send(new RunInstancesCommand(input));
const describeOne = async (id: string) => (await aws.ec2(region).send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0];

describe('RunInstances', () => {
  test('tags the instance, its volume and its network interface at creation', async () => {
    const out = await launch();
    const inst = out.Instances?.[0];
    expect(readTags(inst?.Tags)['asset-id']).toBe(runId);
    const created = cloud.creations.map((c) => [c.resourceType, c.tags['asset-id']]);
    expect(created).toEqual([['instance', runId], ['network-interface', runId], ['volume', runId]]);
    const volumeId = inst?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? '';
    expect(cloud.tagsAtCreation(volumeId)).toEqual(readTags(tags));
  });

  test('an untagged launch is visible as such', async () => {
    const { TagSpecifications: _, ...untagged } = launchInput;
    const out = await launch({ ...untagged, ClientToken: 'other' });
    expect(cloud.tagsAtCreation(out.Instances?.[0]?.InstanceId ?? '')).toEqual({});
  });

  test('the root volume has the requested size and type; private and public IPs are assigned', async () => {
    const inst = (await launch()).Instances?.[0];
    const vols = await aws.ec2(region).send(new DescribeVolumesCommand({ VolumeIds: [inst?.BlockDeviceMappings?.[0]?.Ebs?.VolumeId ?? ''] }));
    expect(vols.Volumes?.[0]).toMatchObject({ Size: 200, VolumeType: 'gp3', State: 'in-use', Iops: 3000 });
    expect(inst?.PrivateIpAddress).toMatch(/^10\.0\.\d+\.\d+$/);
    expect(inst?.PublicIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(inst?.State?.Name).toBe('pending');
  });

  test('the same ClientToken returns the same instance and creates nothing', async () => {
    const first = await launch();
    const again = await launch();
    expect(again.Instances?.[0]?.InstanceId).toBe(first.Instances?.[0]?.InstanceId);
    expect(again.ReservationId).toBe(first.ReservationId);
    expect(cloud.region(region).instances.size).toBe(1);
    expect(cloud.region(region).volumes.size).toBe(1);
    expect(cloud.creations).toHaveLength(3);
  });

  test('the same ClientToken with other parameters is refused', async () => {
    await launch();
    await expect(launch({ ...launchInput, InstanceType: 't3.micro' })).rejects.toMatchObject({ name: 'IdempotentParameterMismatch' });
  });

  test("without a ClientToken, the SDK's own token makes its retry after a lost response idempotent", async () => {
    const { ClientToken: _, ...noToken } = launchInput;
    cloud.failNext('RunInstances', serverError('ec2', 500), { afterApplying: true });
    const out = await launch(noToken);
    expect(cloud.callCount('RunInstances')).toBe(2);
    expect(cloud.region(region).instances.size).toBe(1);
    expect(out.Instances?.[0]?.ClientToken).toMatch(/^[0-9a-f-]{36}$/);
    // The recorded input is the caller's: it shows stagebot passed no token of its own.
    expect(cloud.calls[0]?.input.ClientToken).toBeUndefined();
  });

  test.each([
    ['an unknown AMI', { ImageId: 'ami-0123456789abcdef0' }, 'InvalidAMIID.NotFound'],
    ['a malformed AMI id', { ImageId: 'stg4-base' }, 'InvalidAMIID.Malformed'],
    ['an unknown key pair', { KeyName: 'nope' }, 'InvalidKeyPair.NotFound'],
    ['an unknown subnet', { SubnetId: 'subnet-0000000000000000f' }, 'InvalidSubnetID.NotFound'],
    ['an unknown security group', { SecurityGroupIds: ['sg-0000000000000000f'] }, 'InvalidGroup.NotFound'],
    ['a root volume smaller than the snapshot', { BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 8 } }] }, 'InvalidBlockDeviceMapping'],
    ['an unsanitised tag value', { TagSpecifications: [{ ResourceType: 'instance' as const, Tags: [{ Key: 'stagebot:requested-by', Value: 'github:<bob>' }] }] }, 'InvalidParameterValue'],
    ['a resource type RunInstances cannot tag', { TagSpecifications: [{ ResourceType: 'security-group' as const, Tags: [] }] }, 'InvalidParameterValue'],
  ])('refuses %s', async (_what, change, code) => {
    await expect(launch({ ...launchInput, ...change, ClientToken: undefined })).rejects.toMatchObject({ name: code });
    expect(cloud.region(region).instances.size).toBe(0);
  });

  test("refuses a security group of another VPC than the subnet's", async () => {
    const defaultGroup = cloud.region(region).defaultSecurityGroupId;
    await expect(launch({ ...launchInput, SecurityGroupIds: [defaultGroup] })).rejects.toMatchObject({
      name: 'InvalidGroup.NotFound',
      message: `The security group '${defaultGroup}' does not exist in VPC 'vpc-0stage000000000a'`,
    });
  });

  test('a deregistered AMI cannot be launched', async () => {
    cloud.region(region).images.forEach((i) => (i.deletedAt = cloud.clock.nowMs()));
    await expect(launch()).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound', message: expect.stringContaining(launchInput.ImageId ?? '') });
  });

  test('no capacity in one subnet, plenty in another', async () => {
    const other = cloud.addSubnet({ region, vpcId: 'vpc-0stage000000000a', az: 'eu-west-1b' });
    cloud.noCapacity({ subnetId: launchInput.SubnetId ?? '' });
    const err = await launch().catch((e: unknown) => e);
    expect(isCapacity(err)).toBe(true);
    expect((err as Error).message).toContain('t3.2xlarge capacity in the Availability Zone you requested');
    const out = await launch({ ...launchInput, SubnetId: other });
    expect(out.Instances?.[0]?.Placement?.AvailabilityZone).toBe('eu-west-1b');
  });

  test('an instance type not offered in a zone is "Unsupported"', async () => {
    cloud.noCapacity({ instanceType: 't3.2xlarge', unsupported: true });
    const err = await launch().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'Unsupported' });
    expect(isCapacity(err)).toBe(true);
  });
});

describe('lifecycle', () => {
  test('pending for one DescribeInstances, then running', async () => {
    const id = (await launch()).Instances?.[0]?.InstanceId ?? '';
    expect((await describeOne(id))?.State?.Name).toBe('pending');
    expect((await describeOne(id))?.State?.Name).toBe('running');
  });

  test('or running once enough fake time passed', async () => {
    cloud = new FakeCloud({ pendingDescribes: 100, pendingMs: 30_000 });
    aws = createFakeAwsClients(cloud);
    const { imageId } = cloud.addImage({ region, name: 'b' });
    const out = await aws.ec2(region).send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1 }));
    const id = out.Instances?.[0]?.InstanceId ?? '';
    expect((await describeOne(id))?.State?.Name).toBe('pending');
    cloud.advance(30_000);
    expect((await describeOne(id))?.State?.Name).toBe('running');
  });

  test('terminate: shutting-down, terminated, DeleteOnTermination volumes gone, others detached', async () => {
    const out = await launch({
      ...launchInput,
      BlockDeviceMappings: [
        ...(launchInput.BlockDeviceMappings ?? []),
        { DeviceName: '/dev/sdf', Ebs: { VolumeSize: 50, VolumeType: 'gp3', DeleteOnTermination: false } },
      ],
    });
    const inst = out.Instances?.[0];
    const id = inst?.InstanceId ?? '';
    const [root, data] = (inst?.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId ?? '');
    cloud.settle();
    const term = await aws.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect(term.TerminatingInstances?.[0]).toMatchObject({ PreviousState: { Name: 'running' }, CurrentState: { Name: 'shutting-down' } });
    expect((await describeOne(id))?.State?.Name).toBe('shutting-down');
    expect((await describeOne(id))?.State).toEqual({ Code: 48, Name: 'terminated' });

    const vols = await aws.ec2(region).send(new DescribeVolumesCommand({}));
    expect(vols.Volumes?.map((v) => v.VolumeId)).toEqual([data]);
    expect(vols.Volumes?.[0]).toMatchObject({ State: 'available', Attachments: [] });
    expect(readTags(vols.Volumes?.[0]?.Tags)['asset-id']).toBe(runId);
    await expect(aws.ec2(region).send(new DescribeVolumesCommand({ VolumeIds: [root ?? ''] }))).rejects.toMatchObject({ name: 'InvalidVolume.NotFound' });
  });

  test('terminated instances stay describable for a while, then are NotFound', async () => {
    const id = (await launch()).Instances?.[0]?.InstanceId ?? '';
    await aws.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    cloud.settle();
    cloud.advance(59 * 60_000);
    expect((await describeOne(id))?.State?.Name).toBe('terminated');
    cloud.advance(2 * 60_000);
    await expect(describeOne(id)).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound', message: `The instance ID '${id}' does not exist` });
    // Terminating it again: already gone.
    await expect(aws.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [id] }))).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
  });

  test('a power-off from inside terminates an instance launched with InstanceInitiatedShutdownBehavior=terminate', async () => {
    const id = (await launch({ ...launchInput, InstanceInitiatedShutdownBehavior: 'terminate' })).Instances?.[0]?.InstanceId ?? '';
    cloud.settle();
    expect(cloud.guestShutdown(region, id)).toBe('shutting-down');
    expect((await describeOne(id))?.StateReason?.Code).toBe('Client.InstanceInitiatedShutdown');
    expect((await describeOne(id))?.State?.Name).toBe('terminated');
    const vols = await aws.ec2(region).send(new DescribeVolumesCommand({}));
    expect(vols.Volumes).toEqual([]);
  });

  test('without it (AWS default: stop), the instance only stops and keeps its volume', async () => {
    const id = (await launch()).Instances?.[0]?.InstanceId ?? '';
    cloud.settle();
    expect(cloud.guestShutdown(region, id)).toBe('stopping');
    cloud.settle();
    expect((await describeOne(id))?.State?.Name).toBe('stopped');
    expect((await aws.ec2(region).send(new DescribeVolumesCommand({}))).Volumes).toHaveLength(1);
  });

  test('an unknown InstanceInitiatedShutdownBehavior is refused', async () => {
    await expect(launch({ ...launchInput, InstanceInitiatedShutdownBehavior: 'explode' as 'stop' })).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  test('termination protection is honoured', async () => {
    const id = cloud.addInstance({ region, terminationProtected: true });
    await expect(aws.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [id] }))).rejects.toMatchObject({ name: 'OperationNotPermitted' });
  });
});
