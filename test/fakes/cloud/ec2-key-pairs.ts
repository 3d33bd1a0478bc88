// Key pairs: CreateKeyPair (tagged at creation, returns real key material), DeleteKeyPair (by name or
// id; deleting one that is not there succeeds, as in AWS), DescribeKeyPairs (filters, no pagination).

import type {
  CreateKeyPairRequest,
  KeyPair,
  DeleteKeyPairRequest,
  DeleteKeyPairResult,
  DescribeKeyPairsRequest,
  DescribeKeyPairsResult,
  KeyPairInfo,
} from '@aws-sdk/client-ec2';
import type { Ctx } from './context.ts';
import { ec2Error } from './errors.ts';
import { matchesFilters, validateFilters } from './filters.ts';
import { newId } from './ids.ts';
import { generateKey } from './keys.ts';
import { tagList, type FakeKeyPair, type RegionState, type Tags } from './model.ts';
import { tagsBySpec } from './ec2-tags.ts';

const KEY_FILTERS = ['key-name', 'key-pair-id', 'fingerprint', 'key-type'];

function liveKeys(region: RegionState): FakeKeyPair[] {
  return [...region.keyPairs.values()].filter((k) => k.deletedAt === null);
}

/** What CreateKeyPair checks before it creates anything (also for a DryRun). */
export function checkNewKeyName(region: RegionState, keyName: string): void {
  if (!keyName || keyName.length > 255 || !/^[\x20-\x7e]+$/.test(keyName)) {
    throw ec2Error('InvalidParameterValue', `Invalid key name '${keyName}': 1-255 printable ASCII characters`);
  }
  if (liveKeys(region).some((k) => k.keyName === keyName)) throw ec2Error('InvalidKeyPair.Duplicate', `The keypair '${keyName}' already exists.`);
}

/** Creates the key pair in `region`; also used to seed tests. Returns it with its private key. */
export function makeKeyPair(ctx: Ctx, keyName: string, keyType: 'rsa' | 'ed25519', tags: Tags): { pair: FakeKeyPair; privateKey: string } {
  checkNewKeyName(ctx.region, keyName);
  const key = generateKey(keyType);
  const pair: FakeKeyPair = { id: newId('key'), keyName, keyType, fingerprint: key.fingerprint, publicKey: key.publicKey, tags, createdAt: ctx.now, deletedAt: null };
  ctx.region.keyPairs.set(pair.id, pair);
  return { pair, privateKey: key.privateKey };
}

export function createKeyPair(ctx: Ctx, input: CreateKeyPairRequest): KeyPair {
  if (input.KeyFormat === 'ppk') throw new Error('FakeCloud: KeyFormat ppk is not implemented');
  const keyType = input.KeyType ?? 'rsa';
  const tags = tagsBySpec(input.TagSpecifications, ['key-pair'], ctx.cloud.options.strictTagValues).get('key-pair') ?? new Map<string, string>();
  const { pair, privateKey } = makeKeyPair(ctx, input.KeyName ?? '', keyType, tags);
  ctx.cloud.recordCreation(ctx.region.name, 'key-pair', pair.id, pair.tags);
  return { KeyName: pair.keyName, KeyPairId: pair.id, KeyFingerprint: pair.fingerprint, KeyMaterial: privateKey, Tags: tagList(pair.tags) ?? [] };
}

export function deleteKeyPair(ctx: Ctx, input: DeleteKeyPairRequest): DeleteKeyPairResult {
  if (!input.KeyName && !input.KeyPairId) throw ec2Error('MissingParameter', 'The request must contain the parameter KeyName or KeyPairId');
  const pair = liveKeys(ctx.region).find((k) => (input.KeyPairId ? k.id === input.KeyPairId : k.keyName === input.KeyName));
  if (pair) pair.deletedAt = ctx.now;
  return { Return: true, ...(pair ? { KeyPairId: pair.id } : {}) };
}

function render(k: FakeKeyPair, withPublicKey: boolean): KeyPairInfo {
  return {
    KeyPairId: k.id,
    KeyName: k.keyName,
    KeyType: k.keyType,
    KeyFingerprint: k.fingerprint,
    CreateTime: new Date(k.createdAt),
    Tags: tagList(k.tags) ?? [],
    ...(withPublicKey ? { PublicKey: k.publicKey } : {}),
  };
}

export function describeKeyPairs(ctx: Ctx, input: DescribeKeyPairsRequest): DescribeKeyPairsResult {
  validateFilters(input.Filters, KEY_FILTERS);
  let keys = liveKeys(ctx.region);
  for (const name of input.KeyNames ?? []) {
    if (!keys.some((k) => k.keyName === name)) throw ec2Error('InvalidKeyPair.NotFound', `The key pair '${name}' does not exist`);
  }
  for (const id of input.KeyPairIds ?? []) {
    if (!keys.some((k) => k.id === id)) throw ec2Error('InvalidKeyPair.NotFound', `The key pair '${id}' does not exist`);
  }
  if (input.KeyNames?.length) keys = keys.filter((k) => input.KeyNames?.includes(k.keyName));
  if (input.KeyPairIds?.length) keys = keys.filter((k) => input.KeyPairIds?.includes(k.id));
  const matched = keys.filter((k) => matchesFilters(input.Filters, { 'key-name': k.keyName, 'key-pair-id': k.id, fingerprint: k.fingerprint, 'key-type': k.keyType }, k.tags));
  return { KeyPairs: matched.map((k) => render(k, input.IncludePublicKey ?? false)) };
}
