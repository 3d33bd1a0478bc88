// Assets the suite creates itself, through the AWS API: what a crashed run would have left behind
// (tagged as stagebot tags), and decoys the sweeper must never touch (untagged, another installation's,
// protected, configured).
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateImageCommand,
  CreateKeyPairCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSnapshotsCommand,
  DescribeTagsCommand,
  DescribeVolumesCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { TAG } from '../../../src/aws/tags.ts';
import { INSTALLATION, type EmuEnv, type EmuWorld } from './world.ts';

/** The run tags stagebot would have put on an asset of `runId` (pass `managedBy` for another installation's). */
export function runTags(runId: string | null, env: string, over: { managedBy?: string; expiresAt?: Date; extra?: Record<string, string> } = {}): Tag[] {
  const tags: Record<string, string> = {
    [TAG.managedBy]: over.managedBy ?? INSTALLATION,
    [TAG.env]: env,
    [TAG.requestedBy]: 'cli:crashed',
    [TAG.source]: 'cli',
    [TAG.expiresAt]: (over.expiresAt ?? new Date(Date.now() + 3_600_000)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    [TAG.name]: `stagebot ${runId ?? 'unknown'}`,
    ...(runId ? { [TAG.assetId]: runId } : {}),
    ...over.extra,
  };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export const PROTECT = { Key: 'stagebot:keep', Value: 'true' };

export class Seeder {
  readonly #w: EmuWorld;
  constructor(w: EmuWorld) {
    this.#w = w;
  }

  async instance(env: EmuEnv, tags: Tag[] = []): Promise<string> {
    const out = await this.#w.ec2(env.region).send(
      new RunInstancesCommand({
        ImageId: env.ami,
        MinCount: 1,
        MaxCount: 1,
        InstanceType: 't3.micro',
        SubnetId: env.subnets[0],
        ...(tags.length ? { TagSpecifications: [{ ResourceType: 'instance', Tags: tags }, { ResourceType: 'volume', Tags: tags }] } : {}),
      }),
    );
    return out.Instances![0]!.InstanceId!;
  }

  async volume(env: EmuEnv, tags: Tag[] = []): Promise<string> {
    const out = await this.#w.ec2(env.region).send(
      new CreateVolumeCommand({ AvailabilityZone: `${env.region}a`, Size: 50, VolumeType: 'gp3', ...(tags.length ? { TagSpecifications: [{ ResourceType: 'volume', Tags: tags }] } : {}) }),
    );
    return out.VolumeId!;
  }

  async keyPair(env: EmuEnv, name: string, tags: Tag[] = []): Promise<string> {
    const out = await this.#w.ec2(env.region).send(new CreateKeyPairCommand({ KeyName: name, ...(tags.length ? { TagSpecifications: [{ ResourceType: 'key-pair', Tags: tags }] } : {}) }));
    return out.KeyPairId!;
  }

  /** An SSH ingress rule on the environment's security group. */
  async rule(env: EmuEnv, cidr: string, tags: Tag[] = []): Promise<string> {
    const out = await this.#w.ec2(env.region).send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: env.securityGroup,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: cidr }] }],
        ...(tags.length ? { TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: tags }] } : {}),
      }),
    );
    return out.SecurityGroupRules![0]!.SecurityGroupRuleId!;
  }

  /** An AMI (and its snapshot, tagged alike) baked from a throwaway instance. */
  async image(env: EmuEnv, name: string, tags: Tag[] = []): Promise<{ imageId: string; snapshotId: string }> {
    const ec2 = this.#w.ec2(env.region);
    const builder = await this.instance(env);
    const spec = tags.length ? { TagSpecifications: [{ ResourceType: 'image' as const, Tags: tags }, { ResourceType: 'snapshot' as const, Tags: tags }] } : {};
    const imageId = (await ec2.send(new CreateImageCommand({ InstanceId: builder, Name: name, ...spec }))).ImageId!;
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [builder] }));
    const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images![0]!;
    return { imageId, snapshotId: image.BlockDeviceMappings!.find((m) => m.Ebs?.SnapshotId)!.Ebs!.SnapshotId! };
  }

  async keyPairId(region: string, name: string): Promise<string> {
    return (await this.#w.ec2(region).send(new DescribeKeyPairsCommand({ KeyNames: [name] }))).KeyPairs![0]!.KeyPairId!;
  }

  async snapshot(env: EmuEnv, tags: Tag[] = []): Promise<string> {
    const volume = await this.volume(env);
    const out = await this.#w.ec2(env.region).send(new CreateSnapshotCommand({ VolumeId: volume, ...(tags.length ? { TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }] } : {}) }));
    return out.SnapshotId!;
  }

  async registerTarget(env: EmuEnv, instanceId: string): Promise<void> {
    await this.#w.elbv2(env.region).send(new RegisterTargetsCommand({ TargetGroupArn: env.targetGroupArn, Targets: [{ Id: instanceId }] }));
  }

  async terminate(env: EmuEnv, instanceId: string): Promise<void> {
    await this.#w.ec2(env.region).send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  }

  async tag(region: string, ids: string[], tags: Tag[]): Promise<void> {
    await this.#w.ec2(region).send(new CreateTagsCommand({ Resources: ids, Tags: tags }));
  }

  /** Whether the asset is still there (an instance: not terminated or on its way; a target: registered). */
  async exists(kind: string, region: string, id: string): Promise<boolean> {
    const ec2 = this.#w.ec2(region);
    const by = (name: string) => ({ Filters: [{ Name: name, Values: [id] }] });
    switch (kind) {
      case 'instance': {
        const i = (await ec2.send(new DescribeInstancesCommand(by('instance-id')))).Reservations?.[0]?.Instances?.[0];
        return i !== undefined && !['terminated', 'shutting-down'].includes(i.State?.Name ?? '');
      }
      case 'volume':
        return ((await ec2.send(new DescribeVolumesCommand(by('volume-id')))).Volumes ?? []).length > 0;
      case 'image':
        return ((await ec2.send(new DescribeImagesCommand(by('image-id')))).Images ?? []).some((i) => i.State === 'available');
      case 'snapshot':
        return ((await ec2.send(new DescribeSnapshotsCommand(by('snapshot-id')))).Snapshots ?? []).length > 0;
      case 'security-group-rule':
        return ((await ec2.send(new DescribeSecurityGroupRulesCommand(by('security-group-rule-id')))).SecurityGroupRules ?? []).length > 0;
      case 'key-pair':
        return ((await ec2.send(new DescribeKeyPairsCommand(by('key-pair-id')))).KeyPairs ?? []).length > 0;
      case 'network-interface':
        return ((await ec2.send(new DescribeNetworkInterfacesCommand(by('network-interface-id')))).NetworkInterfaces ?? []).length > 0;
      case 'target': {
        const [arn, instanceId] = id.split('|') as [string, string];
        const health = (await this.#w.elbv2(region).send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? [];
        return health.some((d) => d.Target?.Id === instanceId);
      }
      default:
        throw new Error(`exists: unknown kind ${kind}`);
    }
  }

  async tagsOf(region: string, id: string): Promise<Record<string, string>> {
    const out = await this.#w.ec2(region).send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }));
    return Object.fromEntries((out.Tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
  }
}
