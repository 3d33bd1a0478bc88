// Every AWS call stagebot made, as IAM authorizes it: one check per resource the call touches (action,
// ARN, request tags, the resource's tags at the time of the call), as the Service Authorization
// Reference lists the resources of each action. The resource tags are looked up in moto just before the
// call goes through (a hook on the suite's proxy), since after it the resource may be gone.
import { DescribeImagesCommand, DescribeKeyPairsCommand, DescribeTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { listParam, tagSpecifications, tagsParam, type AwsRequest } from './aws-wire.ts';
import type { IamPolicy } from '../../../src/aws/iam-policy.ts';
import { notAllowed, type AuthCheck } from '../../support/iam.ts';
import type { ProxyEntry } from './proxy.ts';

/** IAM's service prefix for each SigV4 signing name. */
const IAM_SERVICE: Record<string, string> = { ec2: 'ec2', elasticloadbalancing: 'elasticloadbalancing', tagging: 'tag', sts: 'sts', pricing: 'pricing' };

/** EC2 id prefix -> ARN resource type. */
const ID_TYPES: [string, string][] = [
  ['i-', 'instance'],
  ['vol-', 'volume'],
  ['ami-', 'image'],
  ['snap-', 'snapshot'],
  ['sgr-', 'security-group-rule'],
  ['key-', 'key-pair'],
  ['eni-', 'network-interface'],
  ['sg-', 'security-group'],
  ['subnet-', 'subnet'],
];

interface Notes {
  /** Resource id -> its tags when the call was made. */
  tags?: Record<string, Record<string, string>>;
  /** Key pair id -> name (a key pair's ARN names it by name). */
  keyNames?: Record<string, string>;
  /** The snapshots behind a RunInstances' AMI. */
  snapshots?: string[];
  /** A CopyImage's source AMI's tags (in its own region). */
  sourceTags?: Record<string, string>;
}

/** The ids a mutating call acts on, whose tags IAM conditions may read. */
function targetIds(r: AwsRequest): string[] {
  const p = r.params;
  switch (r.action) {
    case 'TerminateInstances':
    case 'StopInstances':
    case 'StartInstances':
      return listParam(p, 'InstanceId');
    case 'CreateImage':
      return [p.InstanceId ?? ''];
    case 'ModifyImageAttribute':
    case 'EnableImageDeprecation':
      return [p.ImageId ?? ''];
    case 'DeleteVolume':
      return [p.VolumeId ?? ''];
    case 'DeregisterImage':
      return [p.ImageId ?? ''];
    case 'DeleteSnapshot':
      return [p.SnapshotId ?? ''];
    case 'DeleteKeyPair':
      return p.KeyPairId ? [p.KeyPairId] : [];
    case 'CreateTags':
    case 'DeleteTags':
      return listParam(p, 'ResourceId');
    default:
      return [];
  }
}

/** The proxy hook: notes what IAM will need to know about the resources of an EC2 call, before it acts. */
export function noteResourceState(ec2: (region: string) => EC2Client) {
  return async (r: AwsRequest): Promise<Record<string, unknown> | void> => {
    if (r.service !== 'ec2') return;
    const client = ec2(r.region);
    const notes: Notes = {};
    const ids = targetIds(r).filter(Boolean);
    if (ids.length > 0) {
      const out = await client.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: ids }], MaxResults: 1000 }));
      notes.tags = Object.fromEntries(ids.map((id) => [id, {}]));
      for (const t of out.Tags ?? []) if (t.ResourceId && t.Key) notes.tags[t.ResourceId]![t.Key] = t.Value ?? '';
      const keyIds = ids.filter((id) => id.startsWith('key-'));
      if (keyIds.length > 0) {
        const pairs = await client.send(new DescribeKeyPairsCommand({ KeyPairIds: keyIds })).catch(() => ({ KeyPairs: [] }));
        notes.keyNames = Object.fromEntries((pairs.KeyPairs ?? []).map((k) => [k.KeyPairId!, k.KeyName!]));
      }
    }
    if (r.action === 'DeleteKeyPair' && r.params.KeyName) {
      const pairs = await client.send(new DescribeKeyPairsCommand({ KeyNames: [r.params.KeyName] })).catch(() => ({ KeyPairs: [] }));
      const pair = pairs.KeyPairs?.[0];
      notes.tags = { [r.params.KeyName]: Object.fromEntries((pair?.Tags ?? []).map((t) => [t.Key!, t.Value ?? ''])) };
    }
    if (r.action === 'CopyImage' && r.params.SourceImageId) {
      const source = ec2(r.params.SourceRegion ?? r.region);
      const images = await source.send(new DescribeImagesCommand({ ImageIds: [r.params.SourceImageId] })).catch(() => ({ Images: [] }));
      notes.sourceTags = Object.fromEntries((images.Images?.[0]?.Tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
    }
    if (r.action === 'RunInstances' && r.params.ImageId) {
      const images = await client.send(new DescribeImagesCommand({ ImageIds: [r.params.ImageId] })).catch(() => ({ Images: [] }));
      notes.snapshots = (images.Images ?? []).flatMap((i) => (i.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : [])));
    }
    return Object.keys(notes).length > 0 ? { ...notes } : undefined;
  };
}

function typeOfId(id: string): string {
  return ID_TYPES.find(([prefix]) => id.startsWith(prefix))?.[1] ?? 'unknown';
}

function requestTagContext(tags: Record<string, string>): Record<string, string | string[]> {
  const ctx: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(tags)) ctx[`aws:RequestTag/${k}`] = v;
  ctx['aws:TagKeys'] = Object.keys(tags);
  return ctx;
}

function resourceTagContext(tags: Record<string, string> | undefined): Record<string, string> {
  const ctx: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) ctx[`aws:ResourceTag/${k}`] = v;
  return ctx;
}

/** The authorization checks of one logged call (a DryRun is authorized exactly like the call). */
export function authChecks(entry: ProxyEntry, account: string): AuthCheck[] {
  const r = entry.request;
  const notes = entry.notes as Notes;
  const action = `${IAM_SERVICE[r.service] ?? r.service}:${r.action}`;
  const region = { 'aws:RequestedRegion': r.region };
  const arn = (type: string, id: string) =>
    type === 'image' || type === 'snapshot' ? `arn:aws:ec2:${r.region}::${type}/${id}` : `arn:aws:ec2:${r.region}:${account}:${type}/${id}`;
  const check = (resource: string, context: Record<string, string | string[]> = {}): AuthCheck => ({ action, resource, context: { ...region, ...context }, what: `${r.action} ${resource}` });
  const createTags = (type: string, tags: Record<string, string>): AuthCheck => ({
    action: 'ec2:CreateTags',
    resource: arn(type, '*'),
    context: { ...region, 'ec2:CreateAction': r.action, ...requestTagContext(tags) },
    what: `CreateTags at ${r.action} of ${type}`,
  });
  const p = r.params;
  switch (r.action) {
    case 'RunInstances': {
      const specs = tagSpecifications(p);
      const created = ['instance', 'volume', 'network-interface'].map((type) => {
        const tags = specs.get(type) ?? {};
        return check(arn(type, '*'), { ...requestTagContext(tags), ...(type === 'instance' ? { 'ec2:InstanceType': p.InstanceType ?? '' } : {}) });
      });
      const used = [
        check(arn('image', p.ImageId ?? '')),
        ...(notes.snapshots ?? []).map((s) => check(arn('snapshot', s))),
        check(arn('subnet', p.SubnetId ?? '')),
        ...listParam(p, 'SecurityGroupId').map((g) => check(arn('security-group', g))),
        ...(p.KeyName ? [check(arn('key-pair', p.KeyName))] : []),
      ];
      return [...created, ...used, ...[...specs].map(([type, tags]) => createTags(type, tags))];
    }
    case 'CreateKeyPair': {
      const tags = tagSpecifications(p).get('key-pair') ?? {};
      return [check(arn('key-pair', p.KeyName ?? ''), requestTagContext(tags)), createTags('key-pair', tags)];
    }
    case 'AuthorizeSecurityGroupIngress': {
      const tags = tagSpecifications(p).get('security-group-rule') ?? {};
      return [check(arn('security-group', p.GroupId ?? '')), check(arn('security-group-rule', '*'), requestTagContext(tags)), createTags('security-group-rule', tags)];
    }
    case 'RevokeSecurityGroupIngress':
    case 'RevokeSecurityGroupEgress':
      return [check(arn('security-group', p.GroupId ?? ''))];
    case 'DeleteKeyPair': {
      const name = p.KeyName ?? notes.keyNames?.[p.KeyPairId ?? ''] ?? p.KeyPairId ?? '';
      return [check(arn('key-pair', name), resourceTagContext(notes.tags?.[p.KeyName ?? p.KeyPairId ?? '']))];
    }
    case 'CreateImage': {
      // The new AMI and its snapshots (request tags), and the instance it is made from (its tags).
      const specs = tagSpecifications(p);
      const tags = specs.get('image') ?? {};
      return [
        check(arn('image', '*'), requestTagContext(tags)),
        check(arn('snapshot', '*'), requestTagContext(specs.get('snapshot') ?? {})),
        check(arn('instance', p.InstanceId ?? ''), { ...resourceTagContext(notes.tags?.[p.InstanceId ?? '']), ...requestTagContext(tags) }),
        ...[...specs].map(([type, t]) => createTags(type, t)),
      ];
    }
    case 'CopyImage': {
      // The new AMI (request tags) and the source AMI in its own region (its tags, noted before the call).
      const specs = tagSpecifications(p);
      const tags = specs.get('image') ?? {};
      const source = `arn:aws:ec2:${p.SourceRegion ?? r.region}::image/${p.SourceImageId ?? ''}`;
      return [
        check(arn('image', '*'), requestTagContext(tags)),
        ...(specs.has('snapshot') ? [check(arn('snapshot', '*'), requestTagContext(specs.get('snapshot')!))] : []),
        check(source, { ...resourceTagContext(notes.sourceTags), ...requestTagContext(tags) }),
        ...[...specs].map(([type, t]) => createTags(type, t)),
      ];
    }
    case 'ModifyImageAttribute':
    case 'EnableImageDeprecation':
    case 'StopInstances':
    case 'StartInstances':
    case 'TerminateInstances':
    case 'DeleteVolume':
    case 'DeregisterImage':
    case 'DeleteSnapshot':
      return targetIds(r).map((id) => check(arn(typeOfId(id), id), resourceTagContext(notes.tags?.[id])));
    case 'CreateTags':
    case 'DeleteTags': {
      const tags = tagsParam(p);
      return targetIds(r).map((id) => {
        const type = typeOfId(id);
        const name = type === 'key-pair' ? (notes.keyNames?.[id] ?? id) : id;
        return check(arn(type, name), { ...resourceTagContext(notes.tags?.[id]), ...requestTagContext(tags) });
      });
    }
    case 'RegisterTargets':
    case 'DeregisterTargets':
      return [check(p.TargetGroupArn ?? '')];
    default:
      // Reads, the account check, the Tagging API and Pricing: no resource-level permissions.
      return [check('*')];
  }
}

export interface IamVerdict {
  /** Calls stagebot made (the proxy log). */
  calls: number;
  /** Distinct authorization checks they make. */
  checks: number;
  /** `what: decision` of each check that was not allowed. */
  denied: string[];
}

/**
 * Every call signed with `accessKey` in the proxy log, simulated against `policy`. Identical checks
 * (the same Describe in the same region) are simulated once.
 */
export async function simulateCalls(log: readonly ProxyEntry[], accessKey: string, policy: IamPolicy, account: string): Promise<IamVerdict> {
  const mine = log.filter((e) => e.request.accessKey === accessKey);
  const checks = new Map<string, AuthCheck>();
  for (const e of mine) for (const c of authChecks(e, account)) checks.set(JSON.stringify([c.action, c.resource, c.context]), c);
  return { calls: mine.length, checks: checks.size, denied: await notAllowed(policy, [...checks.values()]) };
}
