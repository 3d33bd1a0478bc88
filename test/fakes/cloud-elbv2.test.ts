// ALB target groups: register -> initial -> healthy, deregister -> draining -> gone, and targets of gone instances.
import { beforeEach, expect, test } from 'vitest';
import {
  DeregisterTargetsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../src/aws/clients.ts';
import { isNotFound } from '../../src/aws/errors.ts';
import { FakeCloud, createFakeAwsClients } from './cloud/index.ts';

const region = 'eu-west-1';
const arn = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/stg4-web/0a1b2c3d4e5f6074';
let cloud: FakeCloud;
let aws: AwsClients;
beforeEach(() => {
  cloud = new FakeCloud();
  aws = createFakeAwsClients(cloud);
  cloud.addTargetGroup({ region, name: 'stg4-web', arn, port: 8080, healthyAfterPolls: 2, drainPolls: 1 });
});

const health = async (targets?: { Id: string }[]) =>
  (await aws.elbv2(region).send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: targets }))).TargetHealthDescriptions ?? [];

test('describes the group', async () => {
  const out = await aws.elbv2(region).send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));
  expect(out.TargetGroups?.[0]).toMatchObject({ TargetGroupName: 'stg4-web', Port: 8080, TargetType: 'instance' });
  const err = await aws.elbv2(region).send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn.replace('stg4', 'stg9')] })).catch((e: unknown) => e);
  expect(err).toMatchObject({ name: 'TargetGroupNotFoundException' });
  expect(isNotFound(err)).toBe(true);
  // Regions are separate worlds.
  await expect(aws.elbv2('us-east-1').send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }))).rejects.toMatchObject({ name: 'TargetGroupNotFoundException' });
});

test('a registered target is initial for two polls, then healthy; deregistered, it drains, then is gone', async () => {
  const id = cloud.addInstance({ region });
  await aws.elbv2(region).send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id }] }));
  const states = [];
  for (let i = 0; i < 3; i++) states.push((await health())[0]?.TargetHealth);
  expect(states).toEqual([
    { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' },
    { State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' },
    { State: 'healthy' },
  ]);
  expect((await health())[0]?.Target).toEqual({ Id: id, Port: 8080 });

  await aws.elbv2(region).send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id }] }));
  expect((await health())[0]?.TargetHealth).toMatchObject({ State: 'draining', Reason: 'Target.DeregistrationInProgress' });
  expect(await health()).toEqual([]);
  expect((await health([{ Id: id }]))[0]?.TargetHealth).toMatchObject({ State: 'unused', Reason: 'Target.NotRegistered' });
  // Deregistering what is not registered succeeds, as AWS documents.
  await aws.elbv2(region).send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id }] }));
});

test('only running instances of the group VPC can be registered', async () => {
  const stopped = cloud.addInstance({ region, state: 'stopped' });
  const register = (id: string) => aws.elbv2(region).send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id }] }));
  await expect(register(stopped)).rejects.toMatchObject({ name: 'InvalidTargetException', message: expect.stringContaining('not in a running state') });
  await expect(register('i-0000000000000000f')).rejects.toMatchObject({ name: 'InvalidTargetException' });
  const otherVpcSubnet = cloud.addSubnet({ region, vpcId: 'vpc-0other00000000000' });
  const elsewhere = cloud.addInstance({ region, subnetId: otherVpcSubnet, securityGroupIds: [] });
  await expect(register(elsewhere)).rejects.toMatchObject({ message: expect.stringContaining('not in the target group VPC') });
});

test('a test can make targets unhealthy, or force one target', async () => {
  cloud.setTargetGroupBehaviour(arn, { healthyAfterPolls: 1, unhealthy: { reason: 'Target.Timeout', description: 'Request timed out' } });
  const id = cloud.addInstance({ region });
  await aws.elbv2(region).send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id }] }));
  await health();
  expect((await health())[0]?.TargetHealth).toEqual({ State: 'unhealthy', Reason: 'Target.Timeout', Description: 'Request timed out' });
  cloud.setTargetHealth(arn, id, { state: 'healthy' });
  expect((await health())[0]?.TargetHealth?.State).toBe('healthy');
});

test('the target of a terminated instance stays, unused / Target.InvalidState (an orphan target)', async () => {
  const id = cloud.addInstance({ region, tags: { 'asset-id': 'r1' } });
  cloud.registerTarget(arn, id);
  expect(cloud.liveAssetsTaggedWith('r1').map((a) => a.kind).sort()).toEqual(['instance', 'target', 'volume']);
  await aws.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  cloud.settle();
  expect((await health())[0]?.TargetHealth).toEqual({ State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the stopped or terminated state' });
  expect(cloud.liveAssetsTaggedWith('r1')).toEqual([{ kind: 'target', id: `${arn}|${id}`, region }]);
});
