import { afterEach, describe, expect, test } from 'vitest';
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { TAG } from '../../../src/aws/tags.ts';
import { launchStep } from '../../../src/pipeline/steps/launch.ts';
import { openSshStep } from '../../../src/pipeline/steps/open-ssh.ts';
import type { LaunchOutputs, TeardownOutputs } from '../../../src/pipeline/step-outputs.ts';
import { registerStep } from '../../../src/pipeline/steps/register.ts';
import { teardownStep } from '../../../src/pipeline/steps/teardown.ts';
import { ec2Error, throttle } from '../../fakes/cloud/index.ts';
import { createTestRun, type TestRun, type TestRunOptions } from '../support/run-context.ts';
import { expectedRunTags } from '../support/run-tags.ts';

let t: TestRun;
afterEach(async () => t?.close());

const MUTATING = ['TerminateInstances', 'RevokeSecurityGroupIngress', 'DeleteKeyPair', 'DeleteVolume', 'DeregisterTargets'];

/** A run whose launch, open-ssh and register steps all ran. */
async function fullyLaunched(opts: TestRunOptions = {}): Promise<{ run: TestRun; launch: LaunchOutputs }> {
  const run = await createTestRun(opts);
  const launch = (await run.runStep(launchStep)).outputs as LaunchOutputs;
  await run.runStep(openSshStep);
  await run.runStep(registerStep);
  return { run, launch };
}

function instances0(run: TestRun, instanceId: string): string {
  return run.cloud.region(run.env.region).instances.get(instanceId)!.volumeIds[0]!;
}

async function teardown(run: TestRun): Promise<TeardownOutputs> {
  return (await run.runStep(teardownStep)).outputs as TeardownOutputs;
}

describe('teardown', () => {
  test('after a full launch nothing of the run is left, and every asset is marked deleted in the store', async () => {
    const l = await fullyLaunched();
    t = l.run;
    const kinds = ['instance', 'key-pair', 'network-interface', 'security-group-rule', 'target', 'volume'];
    expect(t.cloud.liveAssetsTaggedWith(t.runId).map((a) => a.kind).sort()).toEqual(kinds);

    const out = await teardown(t);

    expect(t.cloud.liveAssetsTaggedWith(t.runId)).toEqual([]);
    expect(out).toEqual({ deleted: 6, alreadyGone: 0, failed: [] });
    const assets = await t.store.getAssets(t.runId);
    expect(assets.map((a) => a.kind).sort()).toEqual(kinds);
    for (const a of assets) expect(a.deletedAt, `${a.kind} ${a.id}`).not.toBeNull();
    expect(t.eventsOf('asset.deleted')).toHaveLength(6);
    // The network interface went with its instance: confirmed gone, never deleted by stagebot itself.
    expect(t.cloud.callCount('DescribeNetworkInterfaces')).toBeGreaterThan(0);
    expect(t.cloud.callCount('DeleteNetworkInterface')).toBe(0);
    // Traffic off before the machine goes.
    const order = t.cloud.calls.map((c) => c.command).filter((c) => MUTATING.includes(c));
    expect(order.indexOf('DeregisterTargets')).toBeLessThan(order.indexOf('TerminateInstances'));
    expect(t.cloud.region(t.env.region).instances.get(l.launch.instanceId)?.state).toBe('terminated');
  });

  test('a network interface left behind by its terminated instance (DeleteOnTermination off) is deleted, being the run\'s', async () => {
    const l = await fullyLaunched({ cloudOptions: { eniDeleteOnTermination: false } });
    t = l.run;
    const eni = l.launch.networkInterfaceIds[0]!;

    const out = await teardown(t);

    expect(out).toEqual({ deleted: 6, alreadyGone: 0, failed: [] });
    expect(t.cloud.calls.filter((c) => c.command === 'DeleteNetworkInterface').map((c) => c.input)).toEqual([{ NetworkInterfaceId: eni }]);
    expect(t.cloud.liveAssetsTaggedWith(t.runId)).toEqual([]);
    expect((await t.store.getAssets(t.runId)).find((a) => a.id === eni)?.deletedAt).not.toBeNull();
  });

  test('finds by tag an instance that was created but never recorded (crash between the two)', async () => {
    t = await createTestRun();
    const crashing = t.context();
    const record = crashing.recordAsset;
    crashing.recordAsset = async (kind, id) => {
      if (kind === 'instance') throw new Error('process died');
      return record(kind, id);
    };
    await expect(launchStep.run(crashing)).rejects.toThrow('process died');
    const orphan = t.cloud.creations.find((c) => c.resourceType === 'instance')!.id;
    expect((await t.store.getAssets(t.runId)).map((a) => a.kind)).toEqual(['key-pair']);

    const out = await teardown(t);

    expect(t.cloud.liveAssetsTaggedWith(t.runId)).toEqual([]);
    expect(out.failed).toEqual([]);
    // The instance, its volume and its network interface (known through it), and the key pair.
    expect(out.deleted).toBe(4);
    const assets = await t.store.getAssets(t.runId);
    expect(assets.filter((a) => a.kind === 'network-interface').map((a) => a.deletedAt !== null)).toEqual([true]);
    const instance = assets.find((a) => a.id === orphan);
    expect(instance?.kind).toBe('instance');
    expect(instance?.deletedAt).not.toBeNull();
  });

  test('a run that created nothing: nothing to do, nothing touched', async () => {
    t = await createTestRun();
    const out = await teardown(t);
    expect(out).toEqual({ deleted: 0, alreadyGone: 0, failed: [] });
    expect(t.cloud.calls.filter((c) => MUTATING.includes(c.command))).toEqual([]);
  });

  test('survives throttling on every kind of call', async () => {
    const l = await fullyLaunched();
    t = l.run;
    t.cloud.failNext('DescribeInstances', throttle(), { times: 3 });
    t.cloud.failNext('DescribeSecurityGroupRules', throttle(), { times: 2 });
    t.cloud.failNext('DeregisterTargets', throttle('elbv2'), { times: 2 });
    t.cloud.failNext('RevokeSecurityGroupIngress', throttle(), { times: 4 });
    t.cloud.failNext('TerminateInstances', throttle(), { times: 2 });
    // More than the SDK's 5 attempts: teardown's own patience has to carry it.
    t.cloud.failNext('DeleteKeyPair', throttle(), { times: 7 });

    const out = await teardown(t);

    expect(t.cloud.faults.pending()).toBe(0);
    expect(out.failed).toEqual([]);
    expect(t.cloud.liveAssetsTaggedWith(t.runId)).toEqual([]);
  });

  test('a failure on one asset does not stop the others, and is reported as `kind id: reason`', async () => {
    const l = await fullyLaunched();
    t = l.run;
    t.cloud.failNext('TerminateInstances', ec2Error('OperationNotPermitted', `The instance '${l.launch.instanceId}' may not be terminated.`));

    const out = await teardown(t);

    const volumeId = l.launch.volumeIds[0];
    expect(out.failed).toEqual([
      `instance ${l.launch.instanceId}: OperationNotPermitted: The instance '${l.launch.instanceId}' may not be terminated.`,
      `network-interface ${l.launch.networkInterfaceIds[0]}: still attached to ${l.launch.instanceId}`,
      `volume ${volumeId}: still attached to ${l.launch.instanceId}`,
    ]);
    expect(t.cloud.liveAssetsTaggedWith(t.runId).map((a) => a.kind).sort()).toEqual(['instance', 'network-interface', 'volume']);
    expect(out.deleted).toBe(3);

    // Run again (the sweeper, or a retried teardown): the rest goes.
    const again = await teardown(t);
    expect(again.failed).toEqual([]);
    expect(t.cloud.liveAssetsTaggedWith(t.runId)).toEqual([]);
  });

  test('what is already gone counts as done', async () => {
    const l = await fullyLaunched();
    t = l.run;
    await t.aws.ec2(t.env.region).send(new TerminateInstancesCommand({ InstanceIds: [l.launch.instanceId] }));
    t.cloud.settle();

    const out = await teardown(t);

    expect(out.failed).toEqual([]);
    // Instance, its volume and its network interface went before; the ALB target of a gone instance is still registered and goes now.
    expect(out.alreadyGone).toBe(3);
    expect(out.deleted).toBe(3);
    for (const a of await t.store.getAssets(t.runId)) expect(a.deletedAt, `${a.kind} ${a.id}`).not.toBeNull();
    expect(t.cloud.liveAssetsTaggedWith(t.runId)).toEqual([]);
  });

  test('never touches what is not tagged with this run, even when the store points at it', async () => {
    const l = await fullyLaunched();
    t = l.run;
    const region = t.env.region;
    const arn = t.env.targetGroupArn;
    const otherRun = `stg1-20200101-abcdef`;
    const untagged = t.cloud.addInstance({ region });
    const otherRunInstance = t.cloud.addInstance({ region, tags: { ...expectedRunTags(t), [TAG.assetId]: otherRun } });
    // Same run id, another installation: the managed-by tag keeps them apart.
    const otherInstallInstance = t.cloud.addInstance({ region, tags: { ...expectedRunTags(t), [TAG.managedBy]: 'other-install' } });
    t.cloud.registerTarget(arn, otherRunInstance);
    const otherInstallRule = t.cloud.addSecurityGroupRule({
      region,
      groupId: t.env.securityGroup,
      cidr: '192.0.2.0/24',
      tags: { ...expectedRunTags(t), [TAG.managedBy]: 'other-install' },
    });
    const permanentRule = t.cloud.addSecurityGroupRule({ region, groupId: t.env.securityGroup, cidr: '10.0.0.0/8', description: 'vpn' });
    const otherKey = t.cloud.addKeyPair({ region, keyName: 'ops', tags: { ...expectedRunTags(t), [TAG.managedBy]: 'other-install' } });
    // A store record pointing at something that is not this run's (tags lost, or a bad record).
    await t.store.recordAsset({ runId: t.runId, kind: 'instance', id: untagged, region, createdAt: t.clock.now(), deletedAt: null });
    await t.store.recordAsset({ runId: t.runId, kind: 'security-group-rule', id: permanentRule, region, createdAt: t.clock.now(), deletedAt: null });

    const out = await teardown(t);

    // Only the other installation's look-alikes (same asset-id) are still there.
    const otherInstallVolume = instances0(t, otherInstallInstance);
    expect(t.cloud.liveAssetsTaggedWith(t.runId).map((a) => a.id).sort()).toEqual(
      [otherInstallInstance, otherInstallVolume, otherInstallRule, otherKey.keyPairId].sort(),
    );
    const instances = t.cloud.region(region).instances;
    for (const id of [untagged, otherRunInstance, otherInstallInstance]) expect(instances.get(id)?.state, id).toBe('running');
    const rules = t.cloud.region(region).sgRules;
    for (const id of [otherInstallRule, permanentRule]) expect(rules.get(id)?.deletedAt, id).toBeNull();
    expect(t.cloud.region(region).keyPairs.get(otherKey.keyPairId)?.deletedAt).toBeNull();
    const target = t.cloud.region(region).targetGroups.get(arn)?.targets.get(`${otherRunInstance}:80`);
    expect(target?.phase).not.toBe('draining');

    const touched = t.cloud.calls.filter((c) => MUTATING.includes(c.command)).map((c) => JSON.stringify(c.input));
    for (const id of [untagged, otherRunInstance, otherInstallInstance, otherInstallRule, permanentRule, otherKey.keyPairId]) {
      expect(touched.some((input) => input.includes(id)), id).toBe(false);
    }
    expect(out.failed.sort()).toEqual(
      [`instance ${untagged}: its tags do not name this run; left alone`, `security-group-rule ${permanentRule}: its tags do not name this run; left alone`].sort(),
    );
  });
});
