// The in-process fake cloud (test/fakes/cloud) and moto (through the shim, i.e. as AWS documents it)
// asked the same questions through the same SDK: every answer stagebot relies on must agree. Where they
// did not, AWS's documentation decided which one was wrong (README.md lists what was fixed).
import {
  AuthorizeSecurityGroupIngressCommand,
  CopyImageCommand,
  CreateImageCommand,
  CreateKeyPairCommand,
  DeleteKeyPairCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
  DeregisterImageCommand,
  DescribeImageAttributeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  EnableImageDeprecationCommand,
  ImportKeyPairCommand,
  ModifyImageAttributeCommand,
  RevokeSecurityGroupIngressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { awsErrorCode, isNotFound } from '../../src/aws/errors.ts';
import { createFakeAwsClients, FakeCloud } from '../fakes/cloud/index.ts';
import { generateKey } from '../fakes/cloud/keys.ts';
import { startMoto, type Moto } from './support/moto.ts';
import { outcome, smallNetwork } from './support/probes.ts';
import { describeWithMoto } from './support/suite.ts';

const REGION = 'eu-west-1';

interface Backend {
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  subnetId: string;
  groupId: string;
  imageId: string;
  keyName: string;
  newTargetGroup(name: string): Promise<string>;
  /** A fresh AMI of this account (with its root snapshot). */
  newImage(name: string): Promise<string>;
  /** Finishes pending state transitions (the fake's clock; moto has none). */
  settle(): void;
  close(): Promise<void>;
}

async function motoBackend(): Promise<Backend & { moto: Moto }> {
  const moto = await startMoto();
  const config = { region: REGION, endpoint: moto.url, credentials: { accessKeyId: 'AKIAPARITY', secretAccessKey: 'x' }, maxAttempts: 1 };
  const ec2 = new EC2Client(config);
  const elb = new ElasticLoadBalancingV2Client(config);
  const { vpcId, subnetId, groupId, amazonImage: amazon } = await smallNetwork(ec2, 8);
  const newImage = async (name: string) => {
    const builder = (await ec2.send(new RunInstancesCommand({ ImageId: amazon, MinCount: 1, MaxCount: 1, SubnetId: subnetId }))).Instances![0]!.InstanceId!;
    const imageId = (await ec2.send(new CreateImageCommand({ InstanceId: builder, Name: name }))).ImageId!;
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [builder] }));
    return imageId;
  };
  const imageId = await newImage('parity-base');
  await ec2.send(new ImportKeyPairCommand({ KeyName: 'staging', PublicKeyMaterial: Buffer.from(generateKey('ed25519').publicKey) }));
  return {
    moto,
    ec2,
    elb,
    subnetId,
    groupId,
    imageId,
    keyName: 'staging',
    newTargetGroup: async (name) => (await elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'instance' }))).TargetGroups![0]!.TargetGroupArn!,
    newImage,
    settle: () => undefined,
    async close() {
      ec2.destroy();
      elb.destroy();
      await moto.stop();
    },
  };
}

function fakeBackend(): Backend {
  const cloud = new FakeCloud({ pendingDescribes: 0, shuttingDownDescribes: 0 });
  const aws = createFakeAwsClients(cloud, { maxAttempts: 1 });
  const subnetId = cloud.addSubnet({ region: REGION });
  const groupId = cloud.addSecurityGroup({ region: REGION, name: 'web' });
  const { imageId } = cloud.addImage({ region: REGION, name: 'parity-base', snapshotSizeGb: 8 });
  cloud.addKeyPair({ region: REGION, keyName: 'staging' });
  return {
    ec2: aws.ec2(REGION),
    elb: aws.elbv2(REGION),
    subnetId,
    groupId,
    imageId,
    keyName: 'staging',
    newTargetGroup: async (name) => cloud.addTargetGroup({ region: REGION, name, healthyAfterPolls: 0, drainPolls: 0 }),
    newImage: async (name) => cloud.addImage({ region: REGION, name, snapshotSizeGb: 8 }).imageId,
    settle: () => cloud.settle(),
    close: async () => aws.destroy(),
  };
}

function launch(b: Backend, over: Partial<RunInstancesCommandInput> = {}) {
  return b.ec2.send(new RunInstancesCommand({ ImageId: b.imageId, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', SubnetId: b.subnetId, ...over }));
}
const instanceOf = (out: { Instances?: { InstanceId?: string }[] }) => out.Instances![0]!.InstanceId!;
const ssh = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22 };

/** Each probe asks one backend a question; the two answers must be equal. */
const PROBES: Record<string, (b: Backend) => Promise<unknown>> = {
  'RunInstances with a subnet, a group, an AMI or a key pair that does not exist': async (b) => ({
    subnet: await outcome(launch(b, { SubnetId: 'subnet-0123456789abcdef0' })),
    group: await outcome(launch(b, { SecurityGroupIds: ['sg-0123456789abcdef0'] })),
    ami: await outcome(launch(b, { ImageId: 'ami-0123456789abcdef0' })),
    keyPair: await outcome(launch(b, { KeyName: 'no-such-key' })),
  }),
  'the same checks with DryRun, and a DryRun that would succeed': async (b) => ({
    subnet: await outcome(launch(b, { SubnetId: 'subnet-0123456789abcdef0', DryRun: true })),
    group: await outcome(launch(b, { SecurityGroupIds: ['sg-0123456789abcdef0'], DryRun: true })),
    ami: await outcome(launch(b, { ImageId: 'ami-0123456789abcdef0', DryRun: true })),
    keyPair: await outcome(launch(b, { KeyName: 'no-such-key', DryRun: true })),
    ingress: await outcome(b.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: 'sg-0123456789abcdef0', IpPermissions: [{ ...ssh, IpRanges: [{ CidrIp: '203.0.113.1/32' }] }], DryRun: true }))),
    valid: await outcome(launch(b, { KeyName: b.keyName, SecurityGroupIds: [b.groupId], DryRun: true })),
  }),
  'RunInstances twice with one ClientToken returns the same instance': async (b) => instanceOf(await launch(b, { ClientToken: 'parity-token' })) === instanceOf(await launch(b, { ClientToken: 'parity-token' })),
  'an instance launched, then terminated: its states, its volume, DescribeInstances by id afterwards': async (b) => {
    const out = await launch(b, { BlockDeviceMappings: [{ DeviceName: '/dev/sda1', Ebs: { VolumeSize: 20, VolumeType: 'gp3', DeleteOnTermination: true } }] });
    const id = instanceOf(out);
    b.settle();
    const described = (await b.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;
    const volumeId = described.BlockDeviceMappings![0]!.Ebs!.VolumeId!;
    const terminating = (await b.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }))).TerminatingInstances![0]!.CurrentState!.Name;
    b.settle();
    return {
      launched: out.Instances![0]!.State!.Name,
      running: described.State!.Name,
      terminating,
      after: await outcome(b.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })), (o) => o.Reservations?.[0]?.Instances?.[0]?.State?.Name),
      volume: await outcome(b.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: [volumeId] }] })), (o) => o.Volumes?.length ?? 0),
    };
  },
  'ids that do not exist: instance, volume, group, key pair, security-group rule': async (b) => ({
    describeInstance: await outcome(b.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))),
    filterInstance: await outcome(b.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: ['i-0123456789abcdef0'] }] })), (o) => o.Reservations?.length ?? 0),
    terminate: await outcome(b.ec2.send(new TerminateInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] }))),
    deleteVolume: await outcome(b.ec2.send(new DeleteVolumeCommand({ VolumeId: 'vol-0123456789abcdef0' }))),
    describeGroup: await outcome(b.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] }))),
    describeKeyName: await outcome(b.ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['no-such-key'] }))),
    describeKeyId: await outcome(b.ec2.send(new DescribeKeyPairsCommand({ KeyPairIds: ['key-0123456789abcdef0'] }))),
    deleteKeyName: await outcome(b.ec2.send(new DeleteKeyPairCommand({ KeyName: 'no-such-key' }))),
    describeRule: await outcome(b.ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: ['sgr-0123456789abcdef0'] }))),
  }),
  'key pairs: a duplicate name, DescribeKeyPairs by id, DeleteKeyPair by id': async (b) => {
    const id = (await b.ec2.send(new CreateKeyPairCommand({ KeyName: 'parity-pair', KeyType: 'ed25519' }))).KeyPairId!;
    const duplicate = await outcome(b.ec2.send(new CreateKeyPairCommand({ KeyName: 'parity-pair' })));
    const byId = await outcome(b.ec2.send(new DescribeKeyPairsCommand({ KeyPairIds: [id] })), (o) => o.KeyPairs?.map((k) => k.KeyName));
    await b.ec2.send(new DeleteKeyPairCommand({ KeyPairId: id }));
    const left = await outcome(b.ec2.send(new DescribeKeyPairsCommand({ Filters: [{ Name: 'key-name', Values: ['parity-pair'] }] })), (o) => o.KeyPairs?.length ?? 0);
    return { duplicate, byId, left };
  },
  'ingress rules: authorize, authorize again, revoke by id, revoke again': async (b) => {
    const permission = { ...ssh, IpRanges: [{ CidrIp: '203.0.113.9/32' }] };
    const out = await b.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: b.groupId, IpPermissions: [permission] }));
    const ruleId = out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
    return {
      rule: { egress: out.SecurityGroupRules![0]!.IsEgress, cidr: out.SecurityGroupRules![0]!.CidrIpv4, port: out.SecurityGroupRules![0]!.FromPort },
      again: await outcome(b.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: b.groupId, IpPermissions: [permission] }))),
      revoke: await outcome(b.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: b.groupId, SecurityGroupRuleIds: [ruleId] }))),
      // AWS documents no code for this; the fake says InvalidSecurityGroupRuleId.NotFound, moto InvalidPermission.NotFound: both mean gone to stagebot.
      revokeAgainIsGone: await b.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: b.groupId, SecurityGroupRuleIds: [ruleId] })).then(() => false, (err: unknown) => isNotFound(err)),
    };
  },
  "AMIs: deleting an AMI's snapshot, deregistering it, describing it afterwards, deleting the snapshot then": async (b) => {
    const imageId = await b.newImage('parity-doomed');
    const image = (await b.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images![0]!;
    const snapshot = image.BlockDeviceMappings!.find((m) => m.Ebs?.SnapshotId)!.Ebs!.SnapshotId!;
    return {
      deleteSnapshotInUse: await outcome(b.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot }))),
      deregister: await outcome(b.ec2.send(new DeregisterImageCommand({ ImageId: imageId }))),
      // AWS: listed as `deregistered` for a while, then an empty list, eventually InvalidAMIID.NotFound
      // (API_DescribeImages). The fake is at the last stage, moto at the second: no available image either way.
      availableAfter: await b.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] })).then(
        (o) => (o.Images ?? []).filter((i) => i.State === 'available').length,
        (err: unknown) => (awsErrorCode(err) === 'InvalidAMIID.NotFound' ? 0 : awsErrorCode(err)),
      ),
      deleteSnapshotAfter: await outcome(b.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshot }))),
    };
  },
  'a promotion: CopyImage tagged at creation, launch permission, deprecation, the copy deregistered and its snapshot deleted': async (b) => {
    const source = await b.newImage('parity-candidate');
    const sourceSnapshot = (await b.ec2.send(new DescribeImagesCommand({ ImageIds: [source] }))).Images![0]!.BlockDeviceMappings!.find((m) => m.Ebs?.SnapshotId)!.Ebs!.SnapshotId!;
    const tags = [{ Key: 'asset-id', Value: 'promote-parity' }, { Key: 'stagebot:image-channel', Value: 'latest' }];
    const copyId = (
      await b.ec2.send(new CopyImageCommand({ SourceImageId: source, SourceRegion: REGION, Name: 'parity-release', TagSpecifications: [{ ResourceType: 'image', Tags: tags }, { ResourceType: 'snapshot', Tags: tags }] }))
    ).ImageId!;
    b.settle();
    const copy = (await b.ec2.send(new DescribeImagesCommand({ ImageIds: [copyId] }))).Images![0]!;
    const snapshotId = copy.BlockDeviceMappings!.find((m) => m.Ebs?.SnapshotId)!.Ebs!.SnapshotId!;
    const snapshot = (await b.ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [snapshotId] }))).Snapshots![0]!;
    const tagsOf = (t: { Key?: string; Value?: string }[] | undefined) => Object.fromEntries((t ?? []).map((x) => [x.Key, x.Value]));
    await b.ec2.send(new ModifyImageAttributeCommand({ ImageId: copyId, LaunchPermission: { Add: [{ UserId: '210987654321' }] } }));
    const permissions = (await b.ec2.send(new DescribeImageAttributeCommand({ ImageId: copyId, Attribute: 'launchPermission' }))).LaunchPermissions;
    await b.ec2.send(new EnableImageDeprecationCommand({ ImageId: source, DeprecateAt: new Date('2036-01-02T03:04:00.000Z') }));
    const deprecation = (await b.ec2.send(new DescribeImagesCommand({ ImageIds: [source] }))).Images![0]!.DeprecationTime;
    return {
      state: copy.State,
      name: copy.Name,
      tags: tagsOf(copy.Tags),
      snapshot: { own: snapshotId !== sourceSnapshot, tags: tagsOf(snapshot.Tags) },
      permissions,
      deprecation,
      unknownSource: await outcome(b.ec2.send(new CopyImageCommand({ SourceImageId: 'ami-0123456789abcdef0', SourceRegion: REGION, Name: 'parity-nothing' }))),
      deregister: await outcome(b.ec2.send(new DeregisterImageCommand({ ImageId: copyId }))),
      deleteSnapshot: await outcome(b.ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }))),
    };
  },
  'targets: register, health, deregister, an unregistered one, a made-up instance, a terminated one, a group that does not exist': async (b) => {
    const arn = await b.newTargetGroup('parity-web');
    const id = instanceOf(await launch(b));
    b.settle();
    await b.elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: id }] }));
    // Health checks take a while on AWS and in the fake; moto answers `healthy` at once.
    let health = 'none';
    for (let i = 0; i < 5 && health !== 'healthy'; i++) health = (await b.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions?.[0]?.TargetHealth?.State ?? 'none';
    const other = instanceOf(await launch(b));
    b.settle();
    const unregistered = await outcome(b.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: [{ Id: other }] })), (o) => `${o.TargetHealthDescriptions?.[0]?.TargetHealth?.State}/${o.TargetHealthDescriptions?.[0]?.TargetHealth?.Reason}`);
    const deregisterUnregistered = await outcome(b.elb.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: other }] })));
    const registerMadeUp = await outcome(b.elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: 'i-0123456789abcdef0' }] })));
    await b.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    b.settle();
    const terminated = await outcome(b.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })), (o) => o.TargetHealthDescriptions?.map((d) => `${d.Target?.Id === id}:${d.TargetHealth?.State}/${d.TargetHealth?.Reason}`));
    const missingGroup = await outcome(b.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn.replace('parity-web', 'no-such-group') })));
    return { health, unregistered, deregisterUnregistered, registerMadeUp, terminated, missingGroup };
  },
};

let fake: Backend;
let moto: Backend;

describeWithMoto('the fake cloud and moto agree', { timeout: 60_000 }, () => {
  beforeAll(async () => {
    moto = await motoBackend();
    fake = fakeBackend();
  }, 60_000);
  afterAll(async () => {
    await fake?.close();
    await moto?.close();
  });

  for (const [question, probe] of Object.entries(PROBES)) {
    it(question, async () => {
      const [fromFake, fromMoto] = [await probe(fake), await probe(moto)];
      expect(fromFake).toEqual(fromMoto);
    });
  }
});
