import { afterEach, describe, expect, test } from 'vitest';
import { DeregisterImageCommand, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { launchStep } from '../../../src/pipeline/steps/launch.ts';
import { EPHEMERAL_KEY_SECRET, type LaunchOutputs } from '../../../src/pipeline/step-outputs.ts';
import { StepFailed } from '../../../src/pipeline/run-errors.ts';
import { TAG } from '../../../src/aws/tags.ts';
import { serverError } from '../../fakes/cloud/index.ts';
import { createTestRun, type TestRun } from '../support/run-context.ts';
import { expectedRunTags } from '../support/run-tags.ts';

let t: TestRun;
afterEach(async () => t?.close());

const runInstancesCalls = (run: TestRun) => run.cloud.calls.filter((c) => c.command === 'RunInstances').map((c) => c.input as unknown as RunInstancesCommandInput);

async function launch(run: TestRun): Promise<LaunchOutputs> {
  return (await run.runStep(launchStep)).outputs as LaunchOutputs;
}

describe('launch', () => {
  test('launches from the AMI with every run tag on the instance, its volume, its network interface and its key pair', async () => {
    t = await createTestRun();
    const out = await launch(t);

    const tags = expectedRunTags(t);
    const types = t.cloud.creations.map((c) => c.resourceType).sort();
    expect(types).toEqual(['instance', 'key-pair', 'network-interface', 'volume']);
    for (const c of t.cloud.creations) expect(c.tags, c.resourceType).toEqual(tags);

    const [call, ...more] = runInstancesCalls(t);
    expect(more).toHaveLength(0);
    expect(call).toMatchObject({
      ImageId: t.env.ami,
      InstanceType: 't3.2xlarge',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: t.env.subnets[0],
      SecurityGroupIds: [t.env.securityGroup],
      KeyName: `stagebot-${t.runId}`,
      BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 200, VolumeType: 'gp3', DeleteOnTermination: true, Encrypted: true } }],
      MetadataOptions: { HttpTokens: 'required' },
      // The dead man's switch powers the host off: that must terminate it, not leave it stopped.
      InstanceInitiatedShutdownBehavior: 'terminate',
    });
    expect(call?.ClientToken).toContain(t.runId);
    expect(call?.ClientToken?.length).toBeLessThanOrEqual(64);
    const keyCall = t.cloud.calls.find((c) => c.command === 'CreateKeyPair');
    expect(keyCall?.input).toMatchObject({ KeyName: `stagebot-${t.runId}`, KeyType: 'ed25519' });

    const instance = t.cloud.region(t.env.region).instances.get(out.instanceId);
    expect(instance?.state).toBe('running');
    expect(out).toMatchObject({
      instanceType: 't3.2xlarge',
      subnetId: t.env.subnets[0],
      keyName: `stagebot-${t.runId}`,
      ephemeralKey: true,
      adopted: false,
      publicIp: instance?.publicIp,
      privateIp: instance?.privateIp,
      volumeIds: instance?.volumeIds,
    });
    expect(out.keyPairId).toMatch(/^key-/);
    expect(out.launchTime).toBe(new Date(instance!.createdAt).toISOString());

    // Every resource RunInstances created and tagged is among the run's assets, its network interface too.
    expect(out.networkInterfaceIds).toEqual([instance?.eniId]);
    const assets = (await t.store.getAssets(t.runId)).map((a) => `${a.kind} ${a.id}`).sort();
    expect(assets).toEqual([`instance ${out.instanceId}`, `key-pair ${out.keyPairId}`, `network-interface ${instance?.eniId}`, `volume ${out.volumeIds[0]}`].sort());
  });

  test("without the dead man's switch, the launch leaves EC2's shutdown behaviour alone", async () => {
    const t = await createTestRun({ configure: (c) => void (c.environments.stg1!.deadManSwitch.enabled = false) });
    try {
      await t.runStep(launchStep);
      expect(runInstancesCalls(t)[0]).not.toHaveProperty('InstanceInitiatedShutdownBehavior');
    } finally {
      await t.close();
    }
  });

  test('keeps the ephemeral private key in the run secrets only, never in outputs, logs, events or the store', async () => {
    t = await createTestRun();
    const out = await launch(t);
    const key = t.secrets.get(EPHEMERAL_KEY_SECRET);
    expect(key).toMatch(/-----BEGIN [A-Z ]*PRIVATE KEY-----/);
    const body = key!.split('\n')[1]!;
    const stored = JSON.stringify([await t.store.getSteps(t.runId), await t.store.getAssets(t.runId)]);
    for (const text of [JSON.stringify(out), JSON.stringify(t.logs), JSON.stringify(t.events), stored]) {
      expect(text).not.toContain(body);
    }
  });

  test('records the instance as soon as RunInstances returns, before waiting for it to run', async () => {
    t = await createTestRun({ cloudOptions: { pendingDescribes: 3 } });
    const recordedWhenWaiting: string[][] = [];
    t.clock.onSleep = () => recordedWhenWaiting.push(t.eventsOf('asset.created').map((e) => e.kind));
    const out = await launch(t);
    expect(recordedWhenWaiting.length).toBeGreaterThan(0);
    expect(recordedWhenWaiting[0]).toContain('instance');
    // The volumes are read from the running instance, after the wait.
    expect(recordedWhenWaiting[0]).not.toContain('volume');
    expect(out.volumeIds).toHaveLength(1);
  });

  test('a RunInstances whose response was lost is retried with the same ClientToken and makes one instance', async () => {
    t = await createTestRun();
    t.cloud.failNext('RunInstances', serverError('ec2', 503), { afterApplying: true });
    const out = await launch(t);

    const calls = runInstancesCalls(t);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.ClientToken).toBeDefined();
    expect(calls[1]?.ClientToken).toBe(calls[0]?.ClientToken);
    const instances = t.cloud.liveAssetsTaggedWith(t.runId).filter((a) => a.kind === 'instance');
    expect(instances.map((a) => a.id)).toEqual([out.instanceId]);
  });

  test('a resumed launch adopts the instance the run already has, even one it never recorded', async () => {
    t = await createTestRun({ envName: 'stg3' });
    // The first attempt crashes right after RunInstances: the store never hears of the instance.
    const crashing = t.context();
    crashing.recordAsset = async (kind) => {
      if (kind === 'instance') throw new Error('process died');
    };
    await expect(launchStep.run(crashing)).rejects.toThrow('process died');
    expect(await t.store.getAssets(t.runId)).toEqual([]);
    const created = t.cloud.creations.filter((c) => c.resourceType === 'instance').map((c) => c.id);
    expect(created).toHaveLength(1);

    const out = await launch(t);
    expect(out.adopted).toBe(true);
    expect(out.instanceId).toBe(created[0]);
    expect(out.keyName).toBe('staging-eu');
    expect(out.ephemeralKey).toBe(false);
    expect(runInstancesCalls(t)).toHaveLength(1);
    expect(t.cloud.creations.filter((c) => c.resourceType === 'instance')).toHaveLength(1);
    expect((await t.store.getAssets(t.runId)).map((a) => a.kind).sort()).toEqual(['instance', 'network-interface', 'volume']);
  });

  test('a resumed ephemeral-key launch replaces the instance whose key died with the old process', async () => {
    t = await createTestRun();
    const first = await launch(t);
    t.secrets.clear();

    const second = await launch(t);
    expect(second.adopted).toBe(false);
    expect(second.instanceId).not.toBe(first.instanceId);
    expect(second.keyPairId).not.toBe(first.keyPairId);
    expect(t.secrets.get(EPHEMERAL_KEY_SECRET)).toBeDefined();
    const [a, b] = runInstancesCalls(t);
    expect(b?.ClientToken).not.toBe(a?.ClientToken);

    const region = t.cloud.region(t.env.region);
    expect(['shutting-down', 'terminated']).toContain(region.instances.get(first.instanceId)?.state);
    expect(region.keyPairs.get(first.keyPairId!)?.deletedAt).not.toBeNull();
    const assets = await t.store.getAssets(t.runId);
    expect(assets.find((x) => x.id === first.keyPairId)?.deletedAt).not.toBeNull();
    expect(assets.find((x) => x.id === first.instanceId)?.deletedAt).toBeNull();
  });

  test("an ephemeral key pair left by an earlier attempt of the run is deleted and made anew", async () => {
    t = await createTestRun();
    const left = t.cloud.addKeyPair({ region: t.env.region, keyName: `stagebot-${t.runId}`, tags: expectedRunTags(t) });
    const out = await launch(t);
    expect(out.keyPairId).not.toBe(left.keyPairId);
    expect(t.cloud.region(t.env.region).keyPairs.get(left.keyPairId)?.deletedAt).not.toBeNull();
    expect(t.secrets.get(EPHEMERAL_KEY_SECRET)).not.toBe(left.privateKey);
  });

  test('a key pair of that name that is not this run’s is left alone and the launch stops', async () => {
    t = await createTestRun();
    const other = t.cloud.addKeyPair({ region: t.env.region, keyName: `stagebot-${t.runId}`, tags: { [TAG.assetId]: 'someone-else' } });
    const err = await t.runStep(launchStep).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toContain(`key pair stagebot-${t.runId} already exists in us-east-1 but is not tagged as run ${t.runId}'s`);
    expect(t.cloud.region(t.env.region).keyPairs.get(other.keyPairId)?.deletedAt).toBeNull();
    expect(t.cloud.callCount('RunInstances')).toBe(0);
  });

  test('no capacity in the first subnet: the next one is tried, with its own ClientToken, and the person is told', async () => {
    t = await createTestRun();
    const [first, second] = t.env.subnets;
    t.cloud.noCapacity({ subnetId: first });
    const out = await launch(t);
    expect(out.subnetId).toBe(second);
    const calls = runInstancesCalls(t);
    expect(calls.map((c) => c.SubnetId)).toContain(first);
    expect(calls.at(-1)?.SubnetId).toBe(second);
    expect(new Set(calls.map((c) => c.ClientToken)).size).toBe(2);
    // Told to the person (a warning every front shows, kept in the timeline), not only the debug log.
    expect(t.eventsOf('step.warning')).toEqual([{ type: 'step.warning', step: 'launch', message: expect.stringMatching(new RegExp(`^no t3\\.2xlarge capacity in ${first} \\(InsufficientInstanceCapacity\\); trying ${second}$`)) }]);
  });

  test('no capacity anywhere: a clear error naming the subnets tried, and nothing launched', async () => {
    t = await createTestRun();
    t.cloud.noCapacity({ instanceType: 't3.2xlarge' });
    const err = await t.runStep(launchStep).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toBe(
      `launch failed: no t3.2xlarge capacity for stg1 in us-east-1: tried ${t.env.subnets.join(', ')}; try again later, or add subnets in other availability zones`,
    );
    expect(t.cloud.creations.filter((c) => c.resourceType === 'instance')).toEqual([]);
    expect((await t.store.getAssets(t.runId)).map((a) => a.kind)).toEqual(['key-pair']);
  });

  test('an AMI that is gone stops the launch before anything is created', async () => {
    t = await createTestRun();
    await t.aws.ec2(t.env.region).send(new DeregisterImageCommand({ ImageId: t.env.ami }));
    const err = await t.runStep(launchStep).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`launch failed: AMI ${t.env.ami} of stg1 is not available in us-east-1 (InvalidAMIID.NotFound)`);
    expect(t.eventsOf('step.failed')[0]?.error).toBe(`AMI ${t.env.ami} of stg1 is not available in us-east-1 (InvalidAMIID.NotFound)`);
    expect(t.cloud.callCount('CreateKeyPair')).toBe(0);
    expect(t.cloud.callCount('RunInstances')).toBe(0);
  });

  test('a root volume smaller than the AMI snapshot is refused with the size to use', async () => {
    t = await createTestRun({ env: { rootVolume: { sizeGb: 20, type: 'gp3' } } });
    const err = await t.runStep(launchStep).catch((e: unknown) => e);
    expect((err as Error).message).toContain('rootVolume.sizeGb of stg1 is 20 GB, smaller than the 30 GB root snapshot');
    expect(t.cloud.callCount('RunInstances')).toBe(0);
  });
});
