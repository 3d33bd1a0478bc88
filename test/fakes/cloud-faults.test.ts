// Faults, DryRun, the SDK's retries, regions as separate worlds, the Tagging API's stale index, call log.
import { expect, test } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { describeAwsError, isDryRunOk, isThrottle } from '../../src/aws/errors.ts';
import { taggingFilter } from '../../src/aws/tags.ts';
import { FakeCloud, createFakeAwsClients, insufficientCapacity, serverError, throttle } from './cloud/index.ts';

const region = 'us-east-1';

function world(opts: ConstructorParameters<typeof FakeCloud>[0] = {}) {
  const cloud = new FakeCloud(opts);
  const aws = createFakeAwsClients(cloud);
  const { imageId } = cloud.addImage({ region, name: 'base' });
  const run = (extra: object = {}) => aws.ec2(region).send(new RunInstancesCommand({ ImageId: imageId, MinCount: 1, MaxCount: 1, ...extra }));
  return { cloud, aws, run };
}

test('DryRun: DryRunOperation when allowed, UnauthorizedOperation when not; nothing changes', async () => {
  const { cloud, run } = world();
  const ok = await run({ DryRun: true }).catch((e: unknown) => e);
  expect(isDryRunOk(ok)).toBe(true);
  cloud.denyPermission('RunInstances');
  const denied = await run({ DryRun: true }).catch((e: unknown) => e);
  expect(denied).toMatchObject({ name: 'UnauthorizedOperation', $metadata: { httpStatusCode: 403 } });
  expect(describeAwsError(denied)).toMatch(/^UnauthorizedOperation: You are not authorized to perform this operation\. .*ec2:RunInstances action\.$/);
  await expect(run()).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  expect(cloud.region(region).instances.size).toBe(0);
});

test('DryRun looks at what the call names first, as AWS does: a missing subnet, group, AMI or key pair is an error', async () => {
  const { cloud, run } = world();
  const code = (extra: object) => run({ DryRun: true, ...extra }).then(() => 'ok', (e: { name?: string }) => e.name);
  expect(await code({ SubnetId: 'subnet-0123456789abcdef0' })).toBe('InvalidSubnetID.NotFound');
  expect(await code({ SecurityGroupIds: ['sg-0123456789abcdef0'] })).toBe('InvalidGroup.NotFound');
  expect(await code({ ImageId: 'ami-0123456789abcdef0' })).toBe('InvalidAMIID.NotFound');
  expect(await code({ KeyName: 'no-such-key' })).toBe('InvalidKeyPair.NotFound');
  expect(await code({})).toBe('DryRunOperation');
  expect(cloud.region(region).instances.size).toBe(0);
});

test('a throttle is retried by the SDK (through its retry middleware) and the call succeeds', async () => {
  const { cloud, aws } = world();
  cloud.addVolume({ region });
  cloud.failNext('DescribeVolumes', throttle(), { times: 3 });
  const out = await aws.ec2(region).send(new DescribeVolumesCommand({}));
  expect(out.Volumes).toHaveLength(1);
  expect(out.$metadata.attempts).toBe(4);
  expect(cloud.callCount('DescribeVolumes')).toBe(4);
  expect(cloud.faults.pending()).toBe(0);
});

test('throttled past maxAttempts, the caller gets the throttle', async () => {
  const { cloud, aws } = world();
  cloud.failNext('DescribeVolumes', throttle(), { times: 9 });
  const err = await aws.ec2(region).send(new DescribeVolumesCommand({})).catch((e: unknown) => e);
  expect(isThrottle(err)).toBe(true);
  expect(err).toMatchObject({ name: 'RequestLimitExceeded', $metadata: { attempts: 5 } });
  expect(cloud.callCount('DescribeVolumes')).toBe(5);
});

test('5xx are retried; client errors are not', async () => {
  const { cloud, aws, run } = world();
  cloud.failNext('DescribeVolumes', serverError('ec2', 503));
  expect((await aws.ec2(region).send(new DescribeVolumesCommand({}))).$metadata.attempts).toBe(2);
  cloud.failNext('RunInstances', insufficientCapacity('t3.micro', 'us-east-1a'), { times: 1 });
  await run();
  expect(cloud.callCount('RunInstances')).toBe(2);
  cloud.resetCalls();
  await expect(run({ KeyName: 'missing' })).rejects.toMatchObject({ name: 'InvalidKeyPair.NotFound' });
  expect(cloud.callCount('RunInstances')).toBe(1);
});

test("the production adaptive strategy retries a throttle too (real back-off, so only one)", async () => {
  const cloud = new FakeCloud();
  const aws = createFakeAwsClients(cloud, { retry: 'sdk' });
  cloud.failNext('GetResources', throttle('tagging'));
  const out = await aws.tagging(region).send(new GetResourcesCommand({}));
  expect(out.$metadata.attempts).toBe(2);
});

test('faults can target one region or matching inputs only', async () => {
  const { cloud, aws } = world();
  cloud.failNext('DescribeVolumes', serverError('ec2', 500), { region: 'eu-west-1', times: 5 });
  expect((await aws.ec2(region).send(new DescribeVolumesCommand({}))).$metadata.attempts).toBe(1);
  await expect(aws.ec2('eu-west-1').send(new DescribeVolumesCommand({}))).rejects.toMatchObject({ name: 'InternalError' });
  cloud.failNext('DescribeVolumes', throttle(), { match: (input) => input.MaxResults === 5, times: 10 });
  expect((await aws.ec2(region).send(new DescribeVolumesCommand({ MaxResults: 6 }))).$metadata.attempts).toBe(1);
});

test('regions are separate worlds', async () => {
  const { cloud, aws, run } = world();
  const id = (await run()).Instances?.[0]?.InstanceId ?? '';
  await expect(aws.ec2('eu-west-1').send(new DescribeInstancesCommand({ InstanceIds: [id] }))).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
  expect(cloud.calls.map((c) => `${c.region}:${c.command}`)).toEqual(['us-east-1:RunInstances', 'eu-west-1:DescribeInstances']);
});

test('the Tagging API keeps listing a terminated instance; DescribeInstances tells the truth', async () => {
  const { cloud, aws, run } = world({ taggingStaleMs: 2 * 3_600_000 });
  const tags = { 'stagebot:managed-by': 'acme', 'asset-id': 'r1' };
  const out = await run({ TagSpecifications: [{ ResourceType: 'instance', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] });
  const id = out.Instances?.[0]?.InstanceId ?? '';
  await aws.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  cloud.settle();
  cloud.advance(90 * 60_000);

  const listed = await aws.tagging(region).send(new GetResourcesCommand({ TagFilters: [taggingFilter('stagebot:managed-by', ['acme'])] }));
  expect(listed.ResourceTagMappingList?.map((r) => r.ResourceARN)).toEqual([`arn:aws:ec2:us-east-1:123456789012:instance/${id}`]);
  await expect(aws.ec2(region).send(new DescribeInstancesCommand({ InstanceIds: [id] }))).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });

  cloud.advance(31 * 60_000);
  expect((await aws.tagging(region).send(new GetResourcesCommand({}))).ResourceTagMappingList).toEqual([]);
});

test('latency per call (benchmarks) and the call counter', async () => {
  const { cloud, aws } = world({ latencyMs: 20 });
  // A call answers after its latency: a 1 ms timer set when it starts fires first.
  const first = await Promise.race([
    aws.ec2(region).send(new DescribeVolumesCommand({})).then(() => 'call'),
    new Promise((resolve) => setTimeout(() => resolve('timer'), 1)),
  ]);
  expect(first).toBe('timer');
  await Promise.all([1, 2].map(() => aws.ec2(region).send(new DescribeVolumesCommand({}))));
  await aws.sts(region).send(new (await import('@aws-sdk/client-sts')).GetCallerIdentityCommand({}));
  expect(cloud.callCount()).toBe(4);
  expect(cloud.callCount('DescribeVolumes', { service: 'ec2', region })).toBe(3);
  expect(cloud.callCount('DescribeVolumes', { region: 'eu-west-1' })).toBe(0);
});

test('commands the fake does not implement fail loudly', async () => {
  const { aws } = world();
  const { RebootInstancesCommand } = await import('@aws-sdk/client-ec2');
  await expect(aws.ec2(region).send(new RebootInstancesCommand({ InstanceIds: ['i-0000000000000000f'] }))).rejects.toThrow('FakeCloud: ec2 RebootInstances is not implemented');
});

// Why the fake is not mounted with aws-sdk-client-mock: its stub replaces `send`, so the SDK's retry
// middleware never runs and a throttle production would have retried reaches the caller at once.
test('aws-sdk-client-mock bypasses the SDK retry middleware', async () => {
  const client = new EC2Client({ region, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 5 });
  const mock = mockClient(client);
  let calls = 0;
  mock.on(DescribeVolumesCommand).callsFake(() => {
    calls++;
    if (calls === 1) throw throttle();
    return { Volumes: [] };
  });
  await expect(client.send(new DescribeVolumesCommand({}))).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
  expect(calls).toBe(1);
  mock.restore();
});
