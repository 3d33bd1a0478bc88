// The least-privilege IAM policy for one configuration: what stagebot may read, create, tag and
// remove, narrowed to the installation's tag, its regions and the resources its environments name
// wherever IAM can express it. `stagebot iam-policy` prints it; deploy/iam-policy.json is its output for
// stagebot.example.yml. The actions each kind of asset needs come from its descriptor (src/aws/kinds):
// adding a kind there adds its permissions here.
import type { ResourceType } from '@aws-sdk/client-ec2';
import { allRegions } from '../config/regions.ts';
import type { Config } from '../config/types.ts';
import type { AssetKind } from '../domain/asset.ts';
import { ASSET_KIND_DESCRIPTORS, type AssetKindDescriptor } from './kinds/index.ts';
import { HANDOVER_TAGS, TAG, sanitizeTagValue } from './tags.ts';

/**
 * Who may be touched by a removing action:
 * - `ours`: only resources carrying this installation's managed-by tag (aws:ResourceTag);
 * - `environment-groups`: the environments' security groups (IAM authorizes revoking a rule on its group, not on the rule);
 * - `environment-target-groups`: the environments' target groups (a target carries no tags).
 */
type RemoveScope = 'ours' | 'environment-groups' | 'environment-target-groups';

/** What IAM can narrow a kind's removal to, where that is not its own managed-by tag. */
const REMOVE_SCOPE: Partial<Record<AssetKind, RemoveScope>> = {
  'security-group-rule': 'environment-groups',
  target: 'environment-target-groups',
};

interface KindPermissions {
  /** EC2 resource type whose ARNs the kind's creates and removes name; null for ALB targets (their target group is named). */
  resource: ResourceType | null;
  /** Read-only actions that list or re-check it (no resource-level permissions: scoped by region). */
  read: readonly string[];
  /** The actions that create it, tagged at creation (aws:RequestTag), when stagebot creates it. */
  create: readonly string[];
  remove: { actions: readonly string[]; scope: RemoveScope } | null;
  /** The sweeper marks it or a kept run's retag moves its expiry: CreateTags/DeleteTags of our bookkeeping tags. */
  marked: boolean;
}

/** S3 actions name objects and buckets, not EC2 resources: they get statements of their own (artifactStatements). */
const notS3 = (actions: readonly string[]) => actions.filter((a) => !a.startsWith('s3:'));

function permissionsOf(d: AssetKindDescriptor): KindPermissions {
  const remove = notS3(d.iam.remove);
  return {
    resource: d.ec2ResourceType,
    read: notS3(d.iam.read),
    create: notS3(d.iam.create),
    remove: remove.length > 0 ? { actions: remove, scope: REMOVE_SCOPE[d.kind] ?? 'ours' } : null,
    marked: (d.marks === 'tag' && d.swept !== undefined) || d.retagOnKeep,
  };
}

/** Reads that belong to no asset kind: the account check, inventory, launch checks and prices. */
const OTHER_READS = ['ec2:DescribeSecurityGroups', 'elasticloadbalancing:DescribeTargetGroups', 'tag:GetResources'] as const;

/** Tags stagebot changes after creation: the sweeper's mark and a kept run's expiry. */
const BOOKKEEPING_TAGS = [TAG.reapAfter, TAG.expiresAt];
/** What a warm pool member's resources are (RunInstances made them together). */
const POOL_MEMBER_RESOURCES = ['instance', 'volume', 'network-interface'] as const;

/** AWS's public SSM parameters, in every region (an image's `base.ssm`). */
const PUBLIC_PARAMETERS = 'arn:aws:ssm:*::parameter/aws/service/*';

/** A key pair a run creates for itself is named `stagebot-<run id>` (pipeline/steps/launch-request.ts). */
const EPHEMERAL_KEY_PREFIX = 'stagebot-';

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface IamPolicy {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

const KINDS: readonly KindPermissions[] = ASSET_KIND_DESCRIPTORS.map(permissionsOf);

const unique = <T>(items: Iterable<T>): T[] => [...new Set(items)];
/** One item stays a string, as people write policies. */
const oneOrMany = (items: string[]): string | string[] => (items.length === 1 ? items[0]! : items);

/** Image and snapshot ARNs carry no account (AWS's own format); everything else one per allowed account. */
function ec2Arns(type: ResourceType, regions: readonly string[], accounts: readonly string[], id = '*'): string[] {
  const global = type === 'image' || type === 'snapshot';
  return regions.flatMap((region) => (global ? [`arn:aws:ec2:${region}::${type}/${id}`] : accounts.map((account) => `arn:aws:ec2:${region}:${account}:${type}/${id}`)));
}

export function iamPolicy(config: Config): IamPolicy {
  const regions = allRegions(config);
  const accounts = unique(config.aws.accountAllowlist);
  const envs = Object.values(config.environments);
  const installation = sanitizeTagValue(config.installation);
  const inRegions = { StringEquals: { 'aws:RequestedRegion': oneOrMany(regions) } };
  const ours = { StringEquals: { [`aws:ResourceTag/${TAG.managedBy}`]: installation } };
  const arnsOf = (kinds: readonly KindPermissions[], id?: string) => kinds.flatMap((k) => (k.resource ? ec2Arns(k.resource, regions, accounts, id) : []));
  // A bake's builder launches like an environment: in its image's first region, from its base, in its
  // subnets and group, with an ephemeral key pair.
  const builders = Object.values(config.images ?? {}).map((i) => ({
    region: i.regions[0]!,
    instanceType: i.instanceType,
    ami: i.base.ami ?? '*',
    subnets: i.subnets,
    securityGroup: i.securityGroup,
    keyPair: 'ephemeral',
  }));
  const launchers = [...envs, ...builders];
  const envGroups = unique(launchers.flatMap((e) => accounts.map((account) => `arn:aws:ec2:${e.region}:${account}:security-group/${e.securityGroup}`)));
  const envTargetGroups = unique(envs.map((e) => e.targetGroupArn));
  // An environment whose AMI is an image of the manifest launches whichever id it has now.
  const envImages = unique(envs.map((e) => `arn:aws:ec2:${e.region}::image/${e.ami.startsWith('ami-') ? e.ami : '*'}`));
  const rawEnvImages = envImages.filter((arn) => !arn.endsWith('/*'));
  const statements: PolicyStatement[] = [];

  statements.push(
    { Sid: 'WhoAmI', Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' },
    {
      Sid: 'ReadWhatStagebotLooksAt',
      Effect: 'Allow',
      Action: unique([...KINDS.flatMap((k) => k.read), ...OTHER_READS]).sort(),
      Resource: '*',
      Condition: inRegions,
    },
    { Sid: 'ReadPrices', Effect: 'Allow', Action: 'pricing:GetProducts', Resource: '*' },
  );

  // Creating: only with this installation's tag and a run id, from the moment the resource exists.
  const creators = unique(KINDS.flatMap((k) => k.create.filter((a) => a.startsWith('ec2:'))));
  for (const action of creators) {
    const created = KINDS.filter((k) => k.create.includes(action));
    const condition: NonNullable<PolicyStatement['Condition']> = {
      StringEquals: { [`aws:RequestTag/${TAG.managedBy}`]: installation },
      Null: { [`aws:RequestTag/${TAG.assetId}`]: 'false' },
    };
    if (action === 'ec2:RunInstances') {
      // Only the instance types the environments launch (the condition applies to the instance resource).
      const types = unique(launchers.map((e) => e.instanceType)).sort();
      statements.push({ Sid: 'CreateInstancesOnlyWithOurTags', Effect: 'Allow', Action: action, Resource: arnsOf(created.filter((k) => k.resource === 'instance')), Condition: { ...condition, StringEquals: { ...condition.StringEquals, 'ec2:InstanceType': oneOrMany(types) } } });
      statements.push({ Sid: 'CreateTheirVolumesAndInterfacesOnlyWithOurTags', Effect: 'Allow', Action: action, Resource: arnsOf(created.filter((k) => k.resource !== 'instance')), Condition: condition });
    } else {
      statements.push({ Sid: `${sidWord(action)}OnlyWithOurTags`, Effect: 'Allow', Action: action, Resource: arnsOf(created), Condition: condition });
    }
  }
  statements.push({
    Sid: 'TagOnlyWhileCreating',
    Effect: 'Allow',
    Action: 'ec2:CreateTags',
    Resource: arnsOf(KINDS.filter((k) => k.create.some((a) => a.startsWith('ec2:')))),
    Condition: { StringEquals: { 'ec2:CreateAction': creators.map((a) => a.slice('ec2:'.length)) } },
  });

  // What a launch uses without creating it: the environments' AMIs, subnets, groups and key pairs.
  statements.push({
    Sid: 'LaunchFromTheEnvironmentsResources',
    Effect: 'Allow',
    Action: 'ec2:RunInstances',
    Resource: unique([
      ...envImages,
      // A base found by name filter has no id in the configuration.
      ...builders.map((b) => `arn:aws:ec2:${b.region}::image/${b.ami}`),
      // The AMIs' snapshots: their ids are not in the configuration.
      ...unique(launchers.map((e) => e.region)).map((region) => `arn:aws:ec2:${region}::snapshot/*`),
      ...launchers.flatMap((e) => e.subnets.flatMap((s) => accounts.map((account) => `arn:aws:ec2:${e.region}:${account}:subnet/${s}`))),
      ...envGroups,
      ...launchers.flatMap((e) => keyNamesOf(e.keyPair).flatMap((name) => accounts.map((account) => `arn:aws:ec2:${e.region}:${account}:key-pair/${name}`))),
    ]),
  });
  // An image is made from one of our builders and copied from one of our images: the source must be ours.
  if (builders.length > 0) {
    statements.push({
      Sid: 'ImageOnlyFromOurOwn',
      Effect: 'Allow',
      Action: ['ec2:CreateImage', 'ec2:CopyImage'],
      Resource: [...arnsOf(KINDS.filter((k) => k.resource === 'instance')), ...arnsOf(KINDS.filter((k) => k.resource === 'image'))],
      Condition: ours,
    });
  }
  // A base named by an AWS public parameter (a stock Ubuntu's /aws/service/canonical/...): those only,
  // never the account's own parameters (which hold secrets). Public parameters' ARNs name no account.
  if (Object.values(config.images ?? {}).some((i) => i.base.ssm)) {
    statements.push({ Sid: 'ReadOnlyPublicBaseParameters', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: PUBLIC_PARAMETERS });
  }
  statements.push({ Sid: 'OpenSshOnlyOnTheEnvironmentsGroups', Effect: 'Allow', Action: 'ec2:AuthorizeSecurityGroupIngress', Resource: envGroups });

  // Removing and marking: only what carries our tag, or what the environments name.
  const removers = (scope: RemoveScope) => unique(KINDS.flatMap((k) => (k.remove?.scope === scope ? k.remove.actions : [])));
  const ownRemovable = KINDS.filter((k) => k.remove?.scope === 'ours');
  statements.push({ Sid: 'RemoveOnlyOurOwn', Effect: 'Allow', Action: removers('ours'), Resource: arnsOf(ownRemovable), Condition: ours });
  statements.push({ Sid: 'RevokeOnlyOnTheEnvironmentsGroups', Effect: 'Allow', Action: removers('environment-groups'), Resource: envGroups });
  statements.push({
    Sid: 'RouteOnlyTheEnvironmentsTargetGroups',
    Effect: 'Allow',
    Action: unique([...KINDS.flatMap((k) => (k.remove?.scope === 'environment-target-groups' ? k.create : [])), ...removers('environment-target-groups')]),
    Resource: envTargetGroups,
  });
  statements.push({
    Sid: 'MarkOnlyOurOwn',
    Effect: 'Allow',
    Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
    Resource: arnsOf(KINDS.filter((k) => k.marked)),
    Condition: { ...ours, 'ForAllValues:StringEquals': { 'aws:TagKeys': BOOKKEEPING_TAGS } },
  });
  // A launch that claims a warm pool member makes its instance, volumes and interface the run's: the
  // run's own tags over the pool's, the pool tag removed (pipeline/steps/helpers/warm-claim.ts).
  if (Object.values(config.environments).some((e) => e.warmPool)) {
    statements.push({
      Sid: 'HandOverOnlyOurOwnPoolMembers',
      Effect: 'Allow',
      Action: ['ec2:CreateTags', 'ec2:DeleteTags'],
      Resource: arnsOf(KINDS.filter((k) => k.resource !== null && (POOL_MEMBER_RESOURCES as readonly string[]).includes(k.resource))),
      Condition: { ...ours, 'ForAllValues:StringEquals': { 'aws:TagKeys': [...HANDOVER_TAGS, TAG.pool] } },
    });
  }
  statements.push(...artifactStatements(config));
  // A configured AMI is never an orphan, even when a bake of ours tagged it.
  if (rawEnvImages.length > 0) statements.push({ Sid: 'NeverDeregisterAConfiguredImage', Effect: 'Deny', Action: 'ec2:DeregisterImage', Resource: rawEnvImages });
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * Test artifacts in S3 (`artifacts.storage: s3`): listing only under the installation's prefix, objects
 * only there, written only tagged with the installation (s3:RequestObjectTag: tagged at creation), and
 * read, re-checked and deleted only there. The actions are the `artifact` kind's.
 */
function artifactStatements(config: Config): PolicyStatement[] {
  const s3 = config.artifacts.storage === 's3' ? config.artifacts.s3 : undefined;
  if (!s3) return [];
  const kind = ASSET_KIND_DESCRIPTORS.find((d) => d.kind === 'artifact')!;
  const prefix = `${s3.prefix}${config.installation}/`;
  const objects = `arn:aws:s3:::${s3.bucket}/${prefix}*`;
  const all = unique([...kind.iam.read, ...kind.iam.create, ...kind.iam.remove]);
  const writes = kind.iam.create;
  return [
    { Sid: 'ListOnlyOurArtifacts', Effect: 'Allow', Action: all.filter((a) => a === 's3:ListBucket'), Resource: `arn:aws:s3:::${s3.bucket}`, Condition: { StringLike: { 's3:prefix': `${prefix}*` } } },
    { Sid: 'WriteArtifactsOnlyWithOurTags', Effect: 'Allow', Action: [...writes], Resource: objects, Condition: { StringEquals: { [`s3:RequestObjectTag/${TAG.managedBy}`]: sanitizeTagValue(config.installation) } } },
    { Sid: 'ReadAndRemoveOnlyOurArtifacts', Effect: 'Allow', Action: all.filter((a) => a !== 's3:ListBucket' && !writes.includes(a)), Resource: objects },
  ];
}

/** The key pairs a launch of this environment may use: its fixed one, or the one each run creates. */
function keyNamesOf(keyPair: string): string[] {
  return [keyPair === 'ephemeral' ? `${EPHEMERAL_KEY_PREFIX}*` : keyPair];
}

/** `ec2:CreateKeyPair` -> `CreateKeyPair`... as a statement id's first word. */
function sidWord(action: string): string {
  const name = action.slice(action.indexOf(':') + 1);
  return name.replace(/^AuthorizeSecurityGroupIngress$/, 'OpenSshRules').replace(/^CreateKeyPair$/, 'CreateKeyPairs');
}

/** The policy as `stagebot iam-policy` prints it and deploy/iam-policy.json holds it. */
export function iamPolicyText(config: Config): string {
  return `${JSON.stringify(iamPolicy(config), null, 2)}\n`;
}
