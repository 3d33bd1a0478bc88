// The ephemeral key pair a run creates (`keyPair: ephemeral`), tagged at creation and deleted in
// teardown. The key pairs environments name in the configuration are never orphans.
import { DeleteKeyPairCommand, DescribeKeyPairsCommand, type KeyPairInfo } from '@aws-sdk/client-ec2';
import { isNotFound } from '../errors.ts';
import { isRunResource, runTagFilters } from '../run-ownership.ts';
import { readTags } from '../tags.ts';
import { idFilter, listKeyPairs, parseDate } from './describe.ts';
import { NOT_THIS_RUNS, itemsOf, lookUpRecorded, type TeardownFindings, type TeardownScope } from './teardown-types.ts';
import type { AssetKindDescriptor, FoundAsset } from './types.ts';

export function keyPairAsset(region: string, k: KeyPairInfo): FoundAsset {
  return {
    kind: 'key-pair',
    id: k.KeyPairId ?? '',
    region,
    tags: readTags(k.Tags),
    createdAt: parseDate(k.CreateTime),
    priced: [{ kind: 'free' }],
    detail: `key pair ${k.KeyName ?? k.KeyPairId ?? ''}`,
    extra: { keyName: k.KeyName ?? '' },
  };
}

/** Names are unique per region: a configured key pair is `region/name`. */
const configuredRef = (region: string, name: string) => `${region}/${name}`;

async function searchKeyPairs(s: TeardownScope, f: TeardownFindings): Promise<void> {
  const out = await s.call(() => s.ec2.send(new DescribeKeyPairsCommand({ Filters: runTagFilters(s.who) }), { abortSignal: s.signal }));
  const pairs = itemsOf<string>(f, 'key-pair');
  for (const k of out.KeyPairs ?? []) {
    if (k.KeyPairId && isRunResource(k.Tags, s.who)) pairs.set(k.KeyPairId, k.KeyName ?? k.KeyPairId);
  }
}

async function checkKeyPair(s: TeardownScope, id: string, f: TeardownFindings): Promise<void> {
  let pair;
  try {
    const out = await s.call(() => s.ec2.send(new DescribeKeyPairsCommand({ KeyPairIds: [id] }), { abortSignal: s.signal }));
    pair = out.KeyPairs?.find((k) => k.KeyPairId === id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!pair) f.gone.push({ kind: 'key-pair', id });
  else if (!isRunResource(pair.Tags, s.who)) f.problems.push(`key-pair ${id}: ${NOT_THIS_RUNS}`);
  else itemsOf<string>(f, 'key-pair').set(id, pair.KeyName ?? id);
}

export const keyPair: AssetKindDescriptor<'key-pair'> = {
  kind: 'key-pair',
  singular: 'key pair',
  plural: 'key pairs',
  ec2ResourceType: 'key-pair',
  createdBy: 'CreateKeyPair',
  marks: 'tag',
  retagOnKeep: true,
  rule: 'run',
  configured: {
    refs: (config) => Object.values(config.environments).flatMap((e) => (e.keyPair === 'ephemeral' ? [] : [configuredRef(e.region, e.keyPair)])),
    of: (a) => configuredRef(a.region, a.extra.keyName ?? ''),
  },
  iam: { read: ['ec2:DescribeKeyPairs'], create: ['ec2:CreateKeyPair'], remove: ['ec2:DeleteKeyPair'] },
  leftBehind: () => 'key pair still exists',
  swept: {
    taggingType: null,
    list: (scope, owned) => listKeyPairs(scope, owned),
    // DescribeKeyPairs is not paginated: one call.
    minimumCalls: () => 1,
    assets: (region, items) => (items as KeyPairInfo[]).map((k) => keyPairAsset(region, k)),
  },
  reap: {
    async recheck(scope, due) {
      return (await listKeyPairs(scope, [idFilter('key-pair-id', due.map((d) => d.id))])).items.map((k) => keyPairAsset(scope.region, k));
    },
    recheckCalls: (batches) => batches,
    async remove(scope, a) {
      await scope.calls.send((o) => scope.ec2.send(new DeleteKeyPairCommand({ KeyPairId: a.id }), o));
      return [];
    },
  },
  teardown: {
    search: { order: 3, run: searchKeyPairs },
    recorded: { order: 3, run: lookUpRecorded('key-pair', checkKeyPair) },
    // After the machine: its key.
    start: {
      order: 4,
      async run(s, f, tally) {
        for (const [id, name] of itemsOf<string>(f, 'key-pair')) {
          await tally.each('key-pair', id, async () => {
            // DeleteKeyPair succeeds for a pair that is not there, so "already gone" cannot be told apart here.
            await s.call(() => s.ec2.send(new DeleteKeyPairCommand({ KeyPairId: id })));
            await tally.done('key-pair', id, 'deleted');
            s.log(`deleted key pair ${name}`);
          });
        }
      },
    },
  },
};
