// The registry of asset kinds: every kind stagebot creates or sweeps, in the order teardown's and the
// sweeper's listings visit them. A new kind is its own file plus its line here (and its name in
// src/domain/asset.ts's ASSET_KINDS: the record below will not type-check without both).
import type { AssetKind } from '../../domain/asset.ts';
import { artifact } from './artifact.ts';
import { image } from './image.ts';
import { instance } from './instance.ts';
import { keyPair } from './key-pair.ts';
import { networkInterface } from './network-interface.ts';
import { sgRule } from './sg-rule.ts';
import { snapshot } from './snapshot.ts';
import { target } from './target.ts';
import type { AssetKindDescriptor } from './types.ts';
import { volume } from './volume.ts';

const REGISTRY: { readonly [K in AssetKind]: AssetKindDescriptor<K> } = {
  instance,
  volume,
  'network-interface': networkInterface,
  image,
  snapshot,
  'security-group-rule': sgRule,
  'key-pair': keyPair,
  target,
  artifact,
};

/** Every kind, in registry order. */
export const ASSET_KIND_DESCRIPTORS: readonly AssetKindDescriptor[] = Object.values(REGISTRY);

export function descriptorOf(kind: AssetKind): AssetKindDescriptor {
  return REGISTRY[kind];
}

/** The EC2 resource types one call creates (RunInstances: instance, volume, network-interface), to tag them all at creation. */
export function resourceTypesCreatedBy(call: string): NonNullable<AssetKindDescriptor['ec2ResourceType']>[] {
  return ASSET_KIND_DESCRIPTORS.flatMap((d) => (d.createdBy === call && d.ec2ResourceType ? [d.ec2ResourceType] : []));
}

/** Every IAM action the kinds need, sorted: what the deploy policy must allow. */
export function iamActionsOfKinds(): string[] {
  return [...new Set(ASSET_KIND_DESCRIPTORS.flatMap((d) => [...d.iam.read, ...d.iam.create, ...d.iam.remove]))].sort();
}

export type { AssetKindDescriptor, FoundAsset, AssetExtra, ReapScope, InventoryContext } from './types.ts';
