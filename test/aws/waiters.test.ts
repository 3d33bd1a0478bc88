import { beforeEach, describe, expect, test } from 'vitest';
import { DeregisterTargetsCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RunInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../../src/aws/clients.ts';
import { InstanceStateError, WaitTimeoutError, waitForInstanceState, waitForTargetHealth } from '../../src/aws/waiters.ts';
import { FakeCloud, createFakeAwsClients, ec2Error, throttle } from '../fakes/cloud/index.ts';

const region = 'eu-west-1';
let cloud: FakeCloud;
let aws: AwsClients;
let imageId: string;

beforeEach(() => {
  // Lifecycles move by fake time only, so the waits below prove the waiter drives time forward.
  cloud = new FakeCloud({ pendingDescribes: 1000, shuttingDownDescribes: 1000, pendingMs: 40_000, shuttingDownMs: 60_000 });
  aws = createFakeAwsClients(cloud);
  imageId = cloud.addImage({ region, name: 'base' }).imageId;
});

const fast = () => ({ timeoutMs: 600_000, intervalMs: 5_000, sleep: cloud.clock.sleep, now: () => cloud.clock.nowMs() });

async function launch(): Promise<string> {
  const out = await aws.ec2(region).send(new RunInstancesCommand({ ImageId: imageId, InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }));
  return out.Instances?.[0]?.InstanceId ?? '';
}

describe('waitForInstanceState', () => {
  test('polls until running and returns the instance with its IPs', async () => {
    const id = await launch();
    const start = cloud.clock.nowMs();
    const inst = await waitForInstanceState(aws.ec2(region), id, 'running', fast());
    expect(inst?.State?.Name).toBe('running');
    expect(inst?.PublicIpAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(cloud.clock.nowMs() - start).toBe(40_000);
    expect(cloud.callCount('DescribeInstances')).toBe(9);
  });

  test('fails fast when the instance terminates instead', async () => {
    const id = await launch();
    await aws.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    const err = await waitForInstanceState(aws.ec2(region), id, 'running', fast()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InstanceStateError);
    expect((err as Error).message).toBe(`Instance ${id} is shutting-down instead of running (Client.UserInitiatedShutdown: User initiated shutdown)`);
  });

  test('a NotFound right after launch is eventual consistency, and throttles are survived', async () => {
    const id = await launch();
    cloud.failNext('DescribeInstances', ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`));
    cloud.failNext('DescribeInstances', throttle(), { times: 5 });
    const inst = await waitForInstanceState(aws.ec2(region), id, 'running', fast());
    expect(inst?.InstanceId).toBe(id);
  });

  test('waits for terminated; an instance already gone counts', async () => {
    const id = await launch();
    await aws.ec2(region).send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    expect((await waitForInstanceState(aws.ec2(region), id, 'terminated', fast()))?.State?.Name).toBe('terminated');
    cloud.advance(2 * 3_600_000);
    expect(await waitForInstanceState(aws.ec2(region), id, 'terminated', fast())).toBeNull();
  });

  test('times out with the last state, within a bounded number of polls', async () => {
    const id = await launch();
    const err = await waitForInstanceState(aws.ec2(region), id, 'running', { ...fast(), timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toBe(`Instance ${id} did not reach running within 20s (last: pending)`);
    // A sleep that never moves the clock still ends.
    const stuck = waitForInstanceState(aws.ec2(region), id, 'running', { timeoutMs: 20_000, intervalMs: 5_000, sleep: async () => {}, now: () => 0 });
    await expect(stuck).rejects.toThrow(WaitTimeoutError);
  });

  test('an abort stops the wait', async () => {
    const id = await launch();
    const controller = new AbortController();
    const sleep = async (ms: number) => {
      cloud.clock.advance(ms);
      controller.abort(new Error('run cancelled'));
    };
    await expect(waitForInstanceState(aws.ec2(region), id, 'running', { ...fast(), sleep, signal: controller.signal })).rejects.toThrow('run cancelled');
  });
});

describe('waitForTargetHealth', () => {
  test('healthy after the initial checks; gone after draining', async () => {
    const tg = cloud.addTargetGroup({ region, name: 'stg4-web', healthyAfterPolls: 3 });
    const id = await launch();
    cloud.settle();
    await aws.elbv2(region).send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: id }] }));
    const healthy = await waitForTargetHealth(aws.elbv2(region), tg, { Id: id }, 'healthy', fast());
    expect(healthy?.TargetHealth?.State).toBe('healthy');
    expect(cloud.callCount('DescribeTargetHealth')).toBe(4);

    await aws.elbv2(region).send(new DeregisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: id }] }));
    expect(await waitForTargetHealth(aws.elbv2(region), tg, { Id: id }, 'gone', fast())).toBeNull();
  });

  test('an unhealthy target times out with the reason AWS gave', async () => {
    const tg = cloud.addTargetGroup({
      region, name: 'stg4-web', healthyAfterPolls: 1,
      unhealthy: { reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [502]' },
    });
    const id = await launch();
    cloud.settle();
    await aws.elbv2(region).send(new RegisterTargetsCommand({ TargetGroupArn: tg, Targets: [{ Id: id }] }));
    await expect(waitForTargetHealth(aws.elbv2(region), tg, { Id: id }, 'healthy', { ...fast(), timeoutMs: 60_000 })).rejects.toThrow(
      'did not become healthy within 1m (last: unhealthy, Target.ResponseCodeMismatch: Health checks failed with these codes: [502])',
    );
  });
});
