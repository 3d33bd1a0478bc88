// What a run left in moto, looked up through the AWS API as the suite (not through stagebot): its
// instances, volumes, network interfaces, security-group rules, key pairs and load-balancer targets, by
// its tags and by the ids its create calls got back. And whether every asset it created carried the run's
// tags at creation, read from the requests moto recorded.
import {
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeVolumesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { TAG } from '../../../src/aws/tags.ts';
import { tagSpecifications, tagsParam, type AwsRequest } from './aws-wire.ts';
import type { ProxyEntry } from './proxy.ts';
import { INSTALLATION, STAGEBOT_KEY, type EmuWorld } from './world.ts';

/** The seven tags every created asset carries from the moment it exists (design.md section 3). */
export const RUN_TAG_KEYS = [TAG.assetId, TAG.managedBy, TAG.env, TAG.requestedBy, TAG.source, TAG.expiresAt, TAG.name];

/** What each creating call creates, by TagSpecification resource type. */
const CREATES: Record<string, string[]> = {
  RunInstances: ['instance', 'volume', 'network-interface'],
  CreateKeyPair: ['key-pair'],
  AuthorizeSecurityGroupIngress: ['security-group-rule'],
  CreateImage: ['image', 'snapshot'],
  CopyImage: ['image', 'snapshot'],
};

/** Tags stagebot may change after creation (retag on keep/extend, the sweeper's mark). */
const BOOKKEEPING = new Set<string>([TAG.expiresAt, TAG.reapAfter]);

const isDryRun = (r: AwsRequest) => r.params.DryRun === 'true';

/** The instance ids RunInstances returned for this run (its create calls, from the proxy log). */
export function launchedInstances(log: readonly ProxyEntry[], runId: string): string[] {
  const ids = new Set<string>();
  for (const e of log) {
    if (e.request.action !== 'RunInstances' || e.status !== 200 || isDryRun(e.request)) continue;
    if (tagSpecifications(e.request.params).get('instance')?.[TAG.assetId] !== runId) continue;
    for (const m of e.body.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)) ids.add(m[1]!);
  }
  return [...ids];
}

export interface Leftovers {
  instances: string[];
  volumes: string[];
  networkInterfaces: string[];
  rules: string[];
  keyPairs: string[];
  targets: string[];
}

export const NOTHING: Leftovers = { instances: [], volumes: [], networkInterfaces: [], rules: [], keyPairs: [], targets: [] };

/** Everything of `runId` still in moto, in every region of the world. */
export async function leftovers(w: EmuWorld, runId: string): Promise<Leftovers> {
  const byTag = [{ Name: `tag:${TAG.assetId}`, Values: [runId] }];
  const launched = new Set(launchedInstances(w.proxy.log, runId));
  const out: Leftovers = { instances: [], volumes: [], networkInterfaces: [], rules: [], keyPairs: [], targets: [] };
  for (const region of new Set(Object.values(w.envs).map((e) => e.region))) {
    const ec2 = w.ec2(region);
    const reservations = (await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? [];
    for (const i of reservations.flatMap((r) => r.Instances ?? [])) {
      const ours = launched.has(i.InstanceId!) || i.Tags?.some((t) => t.Key === TAG.assetId && t.Value === runId);
      if (ours && i.State?.Name !== 'terminated') out.instances.push(i.InstanceId!);
    }
    for (const v of (await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? []) {
      const tagged = v.Tags?.some((t) => t.Key === TAG.assetId && t.Value === runId);
      if (tagged || v.Attachments?.some((a) => launched.has(a.InstanceId ?? ''))) out.volumes.push(v.VolumeId!);
    }
    for (const n of (await ec2.send(new DescribeNetworkInterfacesCommand({ Filters: byTag }))).NetworkInterfaces ?? []) out.networkInterfaces.push(n.NetworkInterfaceId!);
    for (const r of (await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: byTag }))).SecurityGroupRules ?? []) out.rules.push(r.SecurityGroupRuleId!);
    for (const k of (await ec2.send(new DescribeKeyPairsCommand({}))).KeyPairs ?? []) {
      if (k.KeyName === `stagebot-${runId}` || k.Tags?.some((t) => t.Key === TAG.assetId && t.Value === runId)) out.keyPairs.push(k.KeyName!);
    }
  }
  for (const e of Object.values(w.envs)) {
    const health = (await w.elbv2(e.region).send(new DescribeTargetHealthCommand({ TargetGroupArn: e.targetGroupArn }))).TargetHealthDescriptions ?? [];
    for (const d of health) if (launched.has(d.Target?.Id ?? '')) out.targets.push(`${e.name}:${d.Target!.Id}`);
  }
  return out;
}

/**
 * Every create call stagebot made (as moto recorded it) that did not tag each resource it creates with
 * the run's seven tags, this installation's name and a run id; and every CreateTags that changed more
 * than the bookkeeping tags. Empty when all is well.
 */
export function untaggedCreations(recorded: readonly AwsRequest[]): string[] {
  const problems: string[] = [];
  for (const r of recorded) {
    if (r.accessKey !== STAGEBOT_KEY) continue;
    const types = CREATES[r.action];
    if (types) {
      const specs = tagSpecifications(r.params);
      for (const type of types) {
        const tags = specs.get(type);
        const missing = RUN_TAG_KEYS.filter((k) => !tags?.[k]);
        if (missing.length > 0) problems.push(`${r.action}${isDryRun(r) ? ' (dry run)' : ''}: ${type} without ${missing.join(', ')}`);
        else if (tags![TAG.managedBy] !== INSTALLATION) problems.push(`${r.action}: ${type} managed-by ${tags![TAG.managedBy]}`);
      }
    }
    if (r.action === 'CreateTags') {
      const keys = Object.keys(tagsParam(r.params)).filter((k) => !BOOKKEEPING.has(k));
      if (keys.length > 0) problems.push(`CreateTags after creation of ${keys.join(', ')}`);
    }
  }
  return problems;
}

/** The create calls stagebot made (not dry runs), by action, from moto's recording. */
export function creationsOf(recorded: readonly AwsRequest[], runId: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of recorded) {
    if (r.accessKey !== STAGEBOT_KEY || !CREATES[r.action] || isDryRun(r)) continue;
    const first = CREATES[r.action]![0]!;
    if (tagSpecifications(r.params).get(first)?.[TAG.assetId] !== runId) continue;
    counts[r.action] = (counts[r.action] ?? 0) + 1;
  }
  return counts;
}
