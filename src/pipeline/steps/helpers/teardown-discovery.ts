// What teardown has to remove in one region: the run's assets as the store remembers them AND as AWS
// finds them by the run's tags (a crash between "created" and "recorded" loses nothing). Whatever is
// known only from the store is looked up first: if its tags do not name this run, it is left alone.
import {
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupRulesCommand,
  paginateDescribeInstances,
  paginateDescribeSecurityGroupRules,
  paginateDescribeVolumes,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describeAwsError, isNotFound } from '../../../aws/errors.ts';
import type { Asset, AssetKind } from '../../../domain/asset.ts';
import { isRunResource, runTagFilters, type RunIdentity } from '../../../aws/run-ownership.ts';
import { parseTargetAssetId } from '../../../domain/asset.ts';

/** Every state but `terminated`: a shutting-down instance still has to be waited for. */
const NOT_TERMINATED = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

export interface FoundRule {
  id: string;
  groupId: string;
  egress: boolean;
}

export interface FoundTarget {
  targetGroupArn: string;
  instanceId: string;
  port: number | undefined;
}

export interface RegionFindings {
  region: string;
  /** This run's instances that are not terminated yet. */
  instances: Map<string, Instance>;
  rules: Map<string, FoundRule>;
  /** Key pair id -> name. */
  keyPairs: Map<string, string>;
  /** Registered targets pointing at this run's instances. */
  targets: FoundTarget[];
  /** Volume ids to confirm gone (or delete) once the instances are terminated. */
  volumeIds: Set<string>;
  /** Recorded assets already gone before teardown did anything. */
  gone: { kind: AssetKind; id: string }[];
  /** `kind id: reason` for what teardown will not touch or could not look up. */
  problems: string[];
}

export type AwsCall = <T>(call: () => Promise<T>) => Promise<T>;

export interface DiscoveryInput {
  who: RunIdentity;
  region: string;
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  /** The run's recorded, not yet deleted assets in this region. */
  recorded: Asset[];
  /** Target groups to look for the run's instances in (the environment's). */
  targetGroupArns: string[];
  signal: AbortSignal;
  call: AwsCall;
}

const NOT_OURS = 'its tags do not name this run; left alone';

export async function discoverRegion(input: DiscoveryInput): Promise<RegionFindings> {
  const f: RegionFindings = {
    region: input.region,
    instances: new Map(),
    rules: new Map(),
    keyPairs: new Map(),
    targets: [],
    volumeIds: new Set(),
    gone: [],
    problems: [],
  };
  const recordedIds = (kind: AssetKind) => input.recorded.filter((a) => a.kind === kind).map((a) => a.id);
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      f.problems.push(`${what}: ${describeAwsError(err)}`);
    }
  };

  await attempt(`instance (search by tag in ${input.region})`, () => taggedInstances(input, f));
  await attempt(`security-group-rule (search by tag in ${input.region})`, () => taggedRules(input, f));
  await attempt(`key-pair (search by tag in ${input.region})`, () => taggedKeyPairs(input, f));
  await attempt(`volume (search by tag in ${input.region})`, () => taggedVolumes(input, f));

  // Instances behind recorded targets count as the run's too (register recorded them).
  const targetInstances = recordedIds('target').map((id) => parseTargetAssetId(id)?.instanceId ?? '');
  const runInstanceIds = new Set(f.instances.keys());
  const recordedInstances = new Set(recordedIds('instance'));
  for (const id of new Set([...recordedInstances, ...targetInstances])) {
    if (!id || f.instances.has(id)) continue;
    await attempt(`instance ${id}`, async () => {
      const state = await checkInstance(input, id, f);
      if (state === 'foreign') return;
      runInstanceIds.add(id);
      if (state === 'gone' && recordedInstances.has(id)) f.gone.push({ kind: 'instance', id });
    });
  }
  for (const id of recordedIds('security-group-rule')) {
    if (!f.rules.has(id)) await attempt(`security-group-rule ${id}`, () => checkRule(input, id, f));
  }
  for (const id of recordedIds('key-pair')) {
    if (!f.keyPairs.has(id)) await attempt(`key-pair ${id}`, () => checkKeyPair(input, id, f));
  }
  for (const id of recordedIds('volume')) f.volumeIds.add(id);

  const recordedTargets = recordedIds('target');
  const arns = new Set([...input.targetGroupArns, ...recordedTargets.map((id) => parseTargetAssetId(id)?.targetGroupArn ?? '')].filter(Boolean));
  for (const arn of arns) {
    await attempt(`target (in ${arn})`, () => findTargets(input, arn, runInstanceIds, recordedTargets, f));
  }
  return f;
}

function keepVolumes(instance: Instance, f: RegionFindings): void {
  for (const m of instance.BlockDeviceMappings ?? []) if (m.Ebs?.VolumeId) f.volumeIds.add(m.Ebs.VolumeId);
}

async function taggedInstances(input: DiscoveryInput, f: RegionFindings): Promise<void> {
  await input.call(async () => {
    const pages = paginateDescribeInstances(
      { client: input.ec2, pageSize: 100 },
      { Filters: [...runTagFilters(input.who), { Name: 'instance-state-name', Values: NOT_TERMINATED }] },
      { abortSignal: input.signal },
    );
    for await (const page of pages) {
      for (const r of page.Reservations ?? []) {
        for (const i of r.Instances ?? []) {
          if (!i.InstanceId || !isRunResource(i.Tags, input.who)) continue;
          f.instances.set(i.InstanceId, i);
          keepVolumes(i, f);
        }
      }
    }
  });
}

async function taggedRules(input: DiscoveryInput, f: RegionFindings): Promise<void> {
  await input.call(async () => {
    const pages = paginateDescribeSecurityGroupRules({ client: input.ec2, pageSize: 100 }, { Filters: runTagFilters(input.who) }, { abortSignal: input.signal });
    for await (const page of pages) {
      for (const r of page.SecurityGroupRules ?? []) {
        if (r.SecurityGroupRuleId && r.GroupId && isRunResource(r.Tags, input.who)) {
          f.rules.set(r.SecurityGroupRuleId, { id: r.SecurityGroupRuleId, groupId: r.GroupId, egress: r.IsEgress === true });
        }
      }
    }
  });
}

async function taggedKeyPairs(input: DiscoveryInput, f: RegionFindings): Promise<void> {
  const out = await input.call(() => input.ec2.send(new DescribeKeyPairsCommand({ Filters: runTagFilters(input.who) }), { abortSignal: input.signal }));
  for (const k of out.KeyPairs ?? []) {
    if (k.KeyPairId && isRunResource(k.Tags, input.who)) f.keyPairs.set(k.KeyPairId, k.KeyName ?? k.KeyPairId);
  }
}

async function taggedVolumes(input: DiscoveryInput, f: RegionFindings): Promise<void> {
  await input.call(async () => {
    const pages = paginateDescribeVolumes({ client: input.ec2, pageSize: 100 }, { Filters: runTagFilters(input.who) }, { abortSignal: input.signal });
    for await (const page of pages) {
      for (const v of page.Volumes ?? []) if (v.VolumeId && isRunResource(v.Tags, input.who)) f.volumeIds.add(v.VolumeId);
    }
  });
}

/** A recorded instance the tag search did not return: gone, ours after all, or someone else's. */
async function checkInstance(input: DiscoveryInput, id: string, f: RegionFindings): Promise<'gone' | 'ours' | 'foreign'> {
  let instance: Instance | undefined;
  try {
    const out = await input.call(() => input.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }), { abortSignal: input.signal }));
    instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!instance || instance.State?.Name === 'terminated') return 'gone';
  if (!isRunResource(instance.Tags, input.who)) {
    f.problems.push(`instance ${id}: ${NOT_OURS}`);
    return 'foreign';
  }
  f.instances.set(id, instance);
  keepVolumes(instance, f);
  return 'ours';
}

async function checkRule(input: DiscoveryInput, id: string, f: RegionFindings): Promise<void> {
  let rule;
  try {
    const out = await input.call(() =>
      input.ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [id] }), { abortSignal: input.signal }),
    );
    rule = out.SecurityGroupRules?.find((r) => r.SecurityGroupRuleId === id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!rule?.GroupId) f.gone.push({ kind: 'security-group-rule', id });
  else if (!isRunResource(rule.Tags, input.who)) f.problems.push(`security-group-rule ${id}: ${NOT_OURS}`);
  else f.rules.set(id, { id, groupId: rule.GroupId, egress: rule.IsEgress === true });
}

async function checkKeyPair(input: DiscoveryInput, id: string, f: RegionFindings): Promise<void> {
  let pair;
  try {
    const out = await input.call(() => input.ec2.send(new DescribeKeyPairsCommand({ KeyPairIds: [id] }), { abortSignal: input.signal }));
    pair = out.KeyPairs?.find((k) => k.KeyPairId === id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!pair) f.gone.push({ kind: 'key-pair', id });
  else if (!isRunResource(pair.Tags, input.who)) f.problems.push(`key-pair ${id}: ${NOT_OURS}`);
  else f.keyPairs.set(id, pair.KeyName ?? id);
}

async function findTargets(
  input: DiscoveryInput,
  arn: string,
  runInstanceIds: ReadonlySet<string>,
  recordedTargets: string[],
  f: RegionFindings,
): Promise<void> {
  let registered: FoundTarget[] = [];
  try {
    const out = await input.call(() => input.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }), { abortSignal: input.signal }));
    registered = (out.TargetHealthDescriptions ?? []).flatMap((d) =>
      // A draining target is already on its way out.
      d.Target?.Id && runInstanceIds.has(d.Target.Id) && d.TargetHealth?.State !== 'draining'
        ? [{ targetGroupArn: arn, instanceId: d.Target.Id, port: d.Target.Port }]
        : [],
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  f.targets.push(...registered);
  for (const id of recordedTargets) {
    const target = parseTargetAssetId(id);
    if (target?.targetGroupArn === arn && !registered.some((t) => t.instanceId === target.instanceId)) f.gone.push({ kind: 'target', id });
  }
}
