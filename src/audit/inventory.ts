// Everything of ours in every configured region. The Resource Groups Tagging API says which of the
// types it covers (instances, volumes, AMIs, snapshots) hold anything tagged managed-by us; Describe*
// with the same tag filter then lists them as they really are (the Tagging API keeps listing deleted
// resources for a while, so nothing is called an orphan on its word alone). Kinds the Tagging API does
// not cover (security-group rules, key pairs) are listed with Describe* directly; ALB targets come from
// the configured target groups. Each kind's listing and assets are its own (src/aws/kinds).

import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import type { Image, Instance } from '@aws-sdk/client-ec2';
import pLimit from 'p-limit';
import type { AwsClients } from '../aws/clients.ts';
import { chunks, type AwsCalls } from '../aws/calls.ts';
import { describeAwsError } from '../aws/errors.ts';
import { PAGE_MAX, idFilter, listImages, pagesFor, type Ec2Scope, type Listing } from '../aws/kinds/describe.ts';
import { imageSnapshots } from '../aws/kinds/image.ts';
import { ASSET_KIND_DESCRIPTORS, type AssetKindDescriptor } from '../aws/kinds/index.ts';
import { instancesById } from '../aws/kinds/instance.ts';
import { registeredTargets, targetAsset, type RegisteredTarget, type TargetGroupRef } from '../aws/kinds/target.ts';
import type { ListScope, SweptKind } from '../aws/kinds/types.ts';
import { TAG, managedByFilter, sanitizeTagValue, taggingFilter } from '../aws/tags.ts';
import type { Config } from '../config/types.ts';
import type { AssetKind } from '../domain/asset.ts';
import type { DriftEntry, FoundAsset } from './types.ts';

export interface RegionInventory {
  region: string;
  assets: FoundAsset[];
  drift: DriftEntry[];
  /** Configured AMIs of this region that exist. */
  configuredAmis: string[];
  /** The fewest calls that listing this region takes. */
  minimumCalls: number;
  /** Why the region could not be listed (one line), or null: nothing in it is marked, unmarked or reaped this sweep. */
  error: string | null;
  /** Kinds the region could list only in part (a target group that could not be read): the rest is complete. */
  partial: { kind: AssetKind; reason: string }[];
}

export interface InventoryDeps {
  aws: AwsClients;
  calls: AwsCalls;
  config: Config;
}

/** The kinds the inventory lists by our managed-by tag, in registry order. */
const SWEPT = ASSET_KIND_DESCRIPTORS.flatMap((d) => (d.swept ? [{ kind: d.kind, swept: d.swept }] : [])) as { kind: AssetKind; swept: SweptKind }[];
/** The Tagging API's types of those it gates (listed with Describe* only when it has any of ours). */
const TAGGING_TYPES = SWEPT.flatMap((k) => (k.swept.taggingType ? [k.swept.taggingType] : []));

/** How many resources of each type the Tagging API lists for us (deleted ones included), and its pages. */
async function taggedCounts(deps: InventoryDeps, region: string): Promise<{ counts: Map<string, number>; total: number; pages: number }> {
  const client = deps.aws.tagging(region);
  const counts = new Map(TAGGING_TYPES.map((t) => [t, 0]));
  const listing = await deps.calls.pages(async (PaginationToken) => {
    const out = await deps.calls.send((o) =>
      client.send(
        new GetResourcesCommand({
          TagFilters: [taggingFilter(TAG.managedBy, [sanitizeTagValue(deps.config.installation)])],
          ResourceTypeFilters: [...TAGGING_TYPES],
          ResourcesPerPage: PAGE_MAX.tagging,
          ...(PaginationToken ? { PaginationToken } : {}),
        }),
        o,
      ),
    );
    return { items: out.ResourceTagMappingList ?? [], next: out.PaginationToken };
  });
  for (const m of listing.items) {
    // arn:aws:ec2:<region>:<account>:<type>/<id>
    const type = `ec2:${m.ResourceARN?.split(':')[5]?.split('/')[0] ?? ''}`;
    const n = counts.get(type);
    if (n !== undefined) counts.set(type, n + 1);
  }
  return { counts, total: listing.items.length, pages: listing.pages };
}

interface ConfiguredImages {
  drift: DriftEntry[];
  existing: string[];
  snapshots: Set<string>;
  pages: number;
}

/** The environments' AMIs as EC2 shows them (owned, shared or public): missing or unusable ones are drift. */
async function configuredImages(scope: Ec2Scope, envs: { name: string; ami: string }[]): Promise<ConfiguredImages> {
  const result: ConfiguredImages = { drift: [], existing: [], snapshots: new Set(), pages: 0 };
  const amis = [...new Set(envs.map((e) => e.ami))];
  if (amis.length === 0) return result;
  const images = new Map<string, Image>();
  for (const batch of chunks(amis, PAGE_MAX.filterValues)) {
    const listing = await listImages(scope, [idFilter('image-id', batch)]);
    result.pages += listing.pages;
    for (const img of listing.items) if (img.ImageId) images.set(img.ImageId, img);
  }
  for (const env of envs) {
    const img = images.get(env.ami);
    if (!img) {
      result.drift.push({ env: env.name, ami: env.ami, problem: `AMI ${env.ami} does not exist (deregistered, or not shared with this account)` });
      continue;
    }
    if (img.State !== 'available') result.drift.push({ env: env.name, ami: env.ami, problem: `AMI ${env.ami} is ${img.State ?? 'in an unknown state'}, not available` });
  }
  for (const img of images.values()) {
    result.existing.push(img.ImageId ?? '');
    for (const s of imageSnapshots(img)) result.snapshots.add(s);
  }
  return result;
}

export async function inventoryRegion(deps: InventoryDeps, region: string): Promise<RegionInventory> {
  const inv: RegionInventory = { region, assets: [], drift: [], configuredAmis: [], minimumCalls: 0, error: null, partial: [] };
  const scope: ListScope = { ec2: deps.aws.ec2(region), calls: deps.calls, region, aws: deps.aws, config: deps.config };
  const owned = [managedByFilter(deps.config.installation)];
  const envs = Object.values(deps.config.environments).filter((e) => e.region === region);
  const groups: TargetGroupRef[] = [];
  for (const e of envs) if (!groups.some((g) => g.arn === e.targetGroupArn)) groups.push({ arn: e.targetGroupArn, env: e.name });
  const limit = pLimit(4);

  try {
    // Round one: listings that need nothing else.
    const elbv2 = deps.aws.elbv2(region);
    const targetsOf = (g: TargetGroupRef) =>
      limit(() => registeredTargets(elbv2, deps.calls, g)).catch((err: unknown) => {
        inv.partial.push({ kind: 'target', reason: `the target group of ${g.env} could not be read (${describeAwsError(err)})` });
        return [] as RegisteredTarget[];
      });
    const direct = SWEPT.filter((k) => k.swept.taggingType === null);
    const taggedCall = limit(() => taggedCounts(deps, region));
    const directCalls = direct.map((k) => limit(() => k.swept.list(scope, owned)));
    const [tagged, directListings, configured, targets] = await Promise.all([
      taggedCall,
      Promise.all(directCalls),
      // An image of the manifest (`image:NAME@CHANNEL`) is checked by the image drift (src/images/drift.ts).
      limit(() => configuredImages(scope, envs.filter((e) => e.ami.startsWith('ami-')))),
      // Targets carry no tags: they come from the configured target groups.
      Promise.all(groups.map(targetsOf)).then((all) => all.flat()),
    ]);
    const listings = new Map<AssetKind, Listing<unknown>>(direct.map((k, i) => [k.kind, directListings[i]!]));

    // Round two: Describe* only the types the Tagging API has something of.
    const gated = SWEPT.filter((k) => k.swept.taggingType !== null && (tagged.counts.get(k.swept.taggingType) ?? 0) > 0);
    const gatedListings = await Promise.all(gated.map((k) => limit(() => k.swept.list(scope, owned))));
    gated.forEach((k, i) => listings.set(k.kind, gatedListings[i]!));

    // Round three: targets whose instance is not one of our live ones: is it gone?
    const instances = (listings.get('instance')?.items ?? []) as Instance[];
    const live = new Set(instances.map((i) => i.InstanceId ?? ''));
    const unknown = targets.filter((t) => !live.has(t.instanceId)).map((t) => t.instanceId);
    const behind = unknown.length > 0 ? await instancesById(scope, unknown) : { found: new Map<string, Instance>(), pages: 0 };
    const liveById = new Map(instances.map((i) => [i.InstanceId ?? '', i]));

    const ctx = { region, listed: (kind: AssetKind) => listings.get(kind)?.items ?? [], configuredSnapshots: configured.snapshots };
    inv.assets = SWEPT.flatMap((k) => k.swept.assets(region, ctx.listed(k.kind), ctx)).filter((a) => a.id !== '');
    for (const t of targets) inv.assets.push(targetAsset(region, t, liveById.get(t.instanceId) ?? behind.found.get(t.instanceId)));
    inv.drift = configured.drift;
    inv.configuredAmis = configured.existing;
    inv.minimumCalls =
      pagesFor(tagged.total, PAGE_MAX.tagging) +
      SWEPT.reduce((n, k) => n + (listings.has(k.kind) ? k.swept.minimumCalls(listings.get(k.kind)!.items.length) : 0), 0) +
      (envs.length > 0 ? Math.ceil(new Set(envs.map((e) => e.ami)).size / PAGE_MAX.filterValues) : 0) +
      groups.length +
      Math.ceil(new Set(unknown).size / PAGE_MAX.filterValues);
  } catch (err) {
    inv.assets = [];
    inv.partial = [];
    inv.error = describeAwsError(err);
  }
  return inv;
}

/** Every region, a few at a time (each region's own calls are bounded too). */
export async function inventory(deps: InventoryDeps, regions: readonly string[], concurrency = 4): Promise<RegionInventory[]> {
  const limit = pLimit(Math.max(1, concurrency));
  return Promise.all(regions.map((r) => limit(() => inventoryRegion(deps, r))));
}
