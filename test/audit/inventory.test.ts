// The inventory's AWS calls: paginated to the end, close to the minimum, counted, and surviving throttling.
import { describe, expect, test } from 'vitest';
import { DAY, ENVS, World } from './support/world.ts';
import { throttle } from '../fakes/cloud/index.ts';

const FAILED = 'stg4-20261118-a1b2c3';
const region = ENVS.stg4.region;

const nonSts = (w: World) => w.cloud.calls.filter((c) => c.service !== 'sts').length;

describe('inventory', () => {
  test('450 instances: every GetResources page is read, and the sweep makes about as many calls as there are pages', async () => {
    const w = await World.create();
    await w.run(FAILED, 'failed');
    const instances = new Set(Array.from({ length: 450 }, () => w.instance(FAILED)));
    const r = await w.sweep();
    expect(r.errors).toEqual([]);
    // 450 instances + their 450 tagged root volumes + the configured AMI and its snapshot: 902 tagged
    // resources at 100 per page.
    expect(w.cloud.callCount('GetResources', { region })).toBe(10);
    expect(w.cloud.callCount('DescribeInstances', { region })).toBe(1);
    expect(new Set(r.orphans.map((o) => o.id))).toEqual(instances);
    // Marks go out 500 resources per call.
    expect(w.cloud.callCount('CreateTags')).toBe(1);
    expect(r.awsCalls).toBe(nonSts(w));
    expect(r.awsCalls).toBe(r.minimumCalls);
  });

  test('the AWS calls the report counts are the ones the cloud saw', async () => {
    const w = await World.create();
    await w.run(FAILED, 'failed');
    w.instance(FAILED);
    w.rule(FAILED, { region: 'us-east-1' });
    w.ami('stg4', 40);
    await w.sweep();
    w.cloud.advance(2 * DAY);
    w.cloud.resetCalls();
    const r = await w.sweep({ mode: 'reap' });
    expect(r.reaped).toHaveLength(2);
    expect(r.awsCalls).toBe(nonSts(w));
    expect(r.awsCalls).toBe(r.minimumCalls);
  });

  test('throttling is survived: the SDK retries, and the sweep retries further rounds when the SDK gives up', async () => {
    const w = await World.create();
    await w.run(FAILED, 'failed');
    const instance = w.instance(FAILED);
    const quiet = await w.sweep();
    w.cloud.resetCalls();
    // 7 throttles: more than the SDK's 5 attempts, so one extra round is needed.
    w.cloud.failNext('GetResources', throttle('tagging'), { times: 7, region });
    w.cloud.failNext('DescribeInstances', throttle('ec2'), { times: 3 });
    w.cloud.failNext('DescribeTargetHealth', throttle('elbv2'), { times: 2 });
    const slept: number[] = [];
    const r = await w.sweep({}, { sleep: async (ms) => void slept.push(ms) });
    expect(r.errors).toEqual([]);
    expect(w.cloud.faults.pending()).toBe(0);
    expect(r.orphans.map((o) => o.id)).toEqual([instance]);
    expect(r.orphans.map((o) => o.reason)).toEqual(quiet.orphans.map((o) => o.reason));
    expect(slept).toEqual([2_000]);
    expect(r.awsCalls).toBe(nonSts(w));
    expect(r.awsCalls).toBe(r.minimumCalls + 12);
  });

  test('with the production adaptive retry strategy, throttles are retried with back-off and survived', async () => {
    const w = await World.create({ retry: 'sdk' });
    await w.run(FAILED, 'failed');
    const instance = w.instance(FAILED);
    w.cloud.failNext('DescribeInstances', throttle('ec2'), { times: 1, region });
    const r = await w.sweep();
    expect(r.errors).toEqual([]);
    expect(w.cloud.faults.pending()).toBe(0);
    expect(r.orphans.map((o) => o.id)).toEqual([instance]);
    expect(r.awsCalls).toBe(r.minimumCalls + 1);
  });

  test('a region that cannot be listed is reported; the others are swept; nothing there is touched', async () => {
    const w = await World.create();
    await w.run(FAILED, 'failed');
    const east = w.instance(FAILED, { region: 'us-east-1' });
    const west = w.instance(FAILED);
    w.cloud.denyPermission('GetResources', { region: 'us-east-1' });
    const r = await w.sweep();
    expect(r.unswept).toEqual([{ region: 'us-east-1', kind: null, reason: expect.stringMatching(/^(UnauthorizedOperation|AccessDenied)/) }]);
    expect(r.complete).toBe(false);
    expect(r.errors).toEqual([]);
    expect(r.orphans.map((o) => o.id)).toEqual([west]);
    expect(w.cloud.tagsOf(east)?.['stagebot:reap-after']).toBeUndefined();
  });

  test('extra regions are swept too', async () => {
    const { makeConfig } = await import('./support/world.ts');
    const w = await World.create({ config: makeConfig({ aws: { extraRegions: ['ap-south-1'] } }) });
    await w.run(FAILED, 'failed');
    const far = w.instance(FAILED, { region: 'ap-south-1' });
    const r = await w.sweep();
    expect(r.regions).toEqual(['ap-south-1', 'eu-west-1', 'us-east-1']);
    expect(r.orphans.map((o) => [o.id, o.region])).toEqual([[far, 'ap-south-1']]);
  });
});
