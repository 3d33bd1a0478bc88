// EC2 tags: TagSpecifications at creation, CreateTags / DeleteTags after, with AWS's limits.

import type { CreateTagsRequest, DeleteTagsRequest, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import { ec2Error } from './errors.ts';
import { live, type RegionState, type Resource, type Tags } from './model.ts';
import type { Ctx } from './context.ts';

const MAX_TAGS = 50;
// The character set every AWS service accepts. EC2 itself is laxer; the fake is strict on purpose so an
// unsanitised value (a login, a branch name) fails here instead of in some other service later.
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

export function validateTags(tags: readonly Tag[], strict: boolean): Tags {
  const out: Tags = new Map();
  for (const t of tags) {
    const key = t.Key;
    const value = t.Value ?? '';
    if (key === undefined || key === '') throw ec2Error('InvalidParameterValue', 'Tag key must not be empty');
    if (key.length > 128) throw ec2Error('InvalidParameterValue', `Tag key exceeds the maximum length of 128 characters: ${key.slice(0, 40)}...`);
    if (value.length > 256) throw ec2Error('InvalidParameterValue', `Tag value exceeds the maximum length of 256 characters for key ${key}`);
    if (key.toLowerCase().startsWith('aws:')) throw ec2Error('InvalidParameterValue', "Tag keys starting with 'aws:' are reserved for internal use");
    if (strict && (!ALLOWED.test(key) || !ALLOWED.test(value))) {
      throw ec2Error('InvalidParameterValue', `Tag ${JSON.stringify(key)}=${JSON.stringify(value)} contains characters outside letters, digits, spaces and _ . : / = + - @`);
    }
    out.set(key, value);
  }
  if (out.size > MAX_TAGS) throw ec2Error('TagLimitExceeded', `The maximum number of tags (${MAX_TAGS}) per resource has been exceeded`);
  return out;
}

/** Tags per resource type from a call's TagSpecifications, refusing types the call cannot tag. */
export function tagsBySpec(specs: readonly TagSpecification[] | undefined, allowed: readonly string[], strict: boolean): Map<string, Tags> {
  const out = new Map<string, Tags>();
  for (const spec of specs ?? []) {
    const type = spec.ResourceType;
    if (!type || !allowed.includes(type)) {
      throw ec2Error('InvalidParameterValue', `'${type ?? ''}' is not a valid taggable resource type for this operation.`);
    }
    if (out.has(type)) throw ec2Error('InvalidParameterValue', `The same resource type may not be specified more than once in tag specifications: ${type}`);
    out.set(type, validateTags(spec.Tags ?? [], strict));
  }
  return out;
}

const BY_PREFIX: [prefix: string, map: (r: RegionState) => Map<string, Resource>, notFound: string][] = [
  ['i-', (r) => r.instances, 'InvalidInstanceID.NotFound'],
  ['vol-', (r) => r.volumes, 'InvalidVolume.NotFound'],
  ['ami-', (r) => r.images, 'InvalidAMIID.NotFound'],
  ['snap-', (r) => r.snapshots, 'InvalidSnapshot.NotFound'],
  ['sgr-', (r) => r.sgRules, 'InvalidSecurityGroupRuleId.NotFound'],
  ['sg-', (r) => r.securityGroups, 'InvalidGroup.NotFound'],
  ['key-', (r) => r.keyPairs, 'InvalidKeyPair.NotFound'],
  ['eni-', (r) => r.enis, 'InvalidNetworkInterfaceID.NotFound'],
  ['subnet-', (r) => r.subnets, 'InvalidSubnetID.NotFound'],
];

/** A taggable resource by id; terminated instances can still be tagged while they are visible. */
export function findTaggable(region: RegionState, id: string): Resource {
  const entry = BY_PREFIX.find(([prefix]) => id.startsWith(prefix));
  if (!entry) throw ec2Error('InvalidID', `The ID '${id}' is not valid`);
  const [, map, notFound] = entry;
  const r = map(region).get(id);
  const visible = id.startsWith('i-') ? r : live(r);
  if (!visible) throw ec2Error(notFound, `The ID '${id}' does not exist`);
  return visible;
}

export function createTags(ctx: Ctx, input: CreateTagsRequest): object {
  const tags = validateTags(input.Tags ?? [], ctx.cloud.options.strictTagValues);
  const targets = (input.Resources ?? []).map((id) => findTaggable(ctx.region, id));
  for (const r of targets) {
    const merged = new Map([...r.tags, ...tags]);
    if (merged.size > MAX_TAGS) throw ec2Error('TagLimitExceeded', `The maximum number of tags (${MAX_TAGS}) per resource has been exceeded`);
  }
  for (const r of targets) for (const [k, v] of tags) r.tags.set(k, v);
  return {};
}

export function deleteTags(ctx: Ctx, input: DeleteTagsRequest): object {
  const targets = (input.Resources ?? []).map((id) => findTaggable(ctx.region, id));
  for (const r of targets) {
    if (!input.Tags) {
      r.tags.clear();
      continue;
    }
    for (const t of input.Tags) {
      if (t.Key === undefined) continue;
      if (t.Value === undefined || r.tags.get(t.Key) === t.Value) r.tags.delete(t.Key);
    }
  }
  return {};
}
