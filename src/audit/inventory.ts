// Everything of ours in every configured region. The Resource Groups Tagging API says which of the
// types it covers (instances, volumes, AMIs, snapshots) hold anything tagged managed-by us; Describe*
// with the same tag filter then lists them as they really are (the Tagging API keeps listing deleted
// resources for a while, so nothing is called an orphan on its word alone). Security-group rules and key
// pairs are listed with Describe* directly; ALB targets come from the configured target groups.

import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import type { Image, Instance, Snapshot, Volume } from '@aws-sdk/client-ec2';
import pLimit from 'p-limit';
import type { AwsClients } from '../aws/clients.ts';
import { describeAwsError } from '../aws/errors.ts';
import { TAG, managedByFilter, sanitizeTagValue, taggingFilter } from '../aws/tags.ts';
import type { Config } from '../config/types.ts';
import type { AwsCalls } from './aws-calls.ts';
import { chunks } from './aws-calls.ts';
import { LIVE_INSTANCE_STATES, PAGE_MAX, idFilter, listImages, listInstances, listKeyPairs, listRules, listSnapshots, listVolumes, type Ec2Scope } from './describe.ts';
import { foundAssets, imageSnapshots } from './found-assets.ts';
import { instancesById, registeredTargets, targetAsset, type RegisteredTarget, type TargetGroupRef } from './targets.ts';
import type { DriftEntry, FoundAsset } from './types.ts';

export interface RegionInventory {
  region: string;
  assets: FoundAsset[];
  drift: DriftEntry[];
  /** Configured AMIs of this region that exist. */
  configuredAmis: string[];
  /** The fewest calls that listing this region takes. */
  minimumCalls: number;
  /** Set when the region could not be listed: nothing in it is marked, unmarked or reaped this sweep. */
  error: string | null;
  /** Problems that left part of the region out (a target group), the rest is complete. */
  warnings: string[];
}

export interface InventoryDeps {
  aws: AwsClients;
  calls: AwsCalls;
  config: Config;
}

const TAGGING_TYPES = ['ec2:instance', 'ec2:volume', 'ec2:image', 'ec2:snapshot'] as const;
type TaggedType = 'instance' | 'volume' | 'image' | 'snapshot';

const pagesFor = (n: number, pageSize: number) => Math.max(1, Math.ceil(n / pageSize));

/** How many resources of each type the Tagging API lists for us (deleted ones included), and its pages. */
async function taggedCounts(deps: InventoryDeps, region: string): Promise<{ counts: Record<TaggedType, number>; total: number; pages: number }> {
  const client = deps.aws.tagging(region);
  const counts: Record<TaggedType, number> = { instance: 0, volume: 0, image: 0, snapshot: 0 };
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
    const type = m.ResourceARN?.split(':')[5]?.split('/')[0];
    if (type && type in counts) counts[type as TaggedType]++;
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
  const inv: RegionInventory = { region, assets: [], drift: [], configuredAmis: [], minimumCalls: 0, error: null, warnings: [] };
  const scope: Ec2Scope = { ec2: deps.aws.ec2(region), calls: deps.calls };
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
        inv.warnings.push(`${region}: target group of ${g.env} could not be read (${describeAwsError(err)}); its targets were not checked`);
        return [] as RegisteredTarget[];
      });
    const [tagged, rules, keyPairs, configured, targets] = await Promise.all([
      limit(() => taggedCounts(deps, region)),
      limit(() => listRules(scope, owned)),
      limit(() => listKeyPairs(scope, owned)),
      limit(() => configuredImages(scope, envs)),
      Promise.all(groups.map(targetsOf)).then((all) => all.flat()),
    ]);

    // Round two: Describe* only the types the Tagging API has something of.
    const none = Promise.resolve({ items: [] as never[], pages: 0 });
    const c = tagged.counts;
    const [instances, volumes, images, snapshots] = await Promise.all([
      c.instance > 0 ? limit(() => listInstances(scope, [...owned, { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES }])) : none,
      c.volume > 0 ? limit(() => listVolumes(scope, owned)) : none,
      c.image > 0 ? limit(() => listImages(scope, owned, ['self'])) : none,
      c.snapshot > 0 ? limit(() => listSnapshots(scope, owned)) : none,
    ]) as [{ items: Instance[]; pages: number }, { items: Volume[]; pages: number }, { items: Image[]; pages: number }, { items: Snapshot[]; pages: number }];

    // Round three: targets whose instance is not one of our live ones: is it gone?
    const live = new Set(instances.items.map((i) => i.InstanceId ?? ''));
    const unknown = targets.filter((t) => !live.has(t.instanceId)).map((t) => t.instanceId);
    const behind = unknown.length > 0 ? await instancesById(scope, unknown) : { found: new Map<string, Instance>(), pages: 0 };
    const liveById = new Map(instances.items.map((i) => [i.InstanceId ?? '', i]));

    inv.assets = foundAssets(region, { instances: instances.items, volumes: volumes.items, images: images.items, snapshots: snapshots.items, rules: rules.items, keyPairs: keyPairs.items }, configured.snapshots);
    for (const t of targets) inv.assets.push(targetAsset(region, t, liveById.get(t.instanceId) ?? behind.found.get(t.instanceId)));
    inv.drift = configured.drift;
    inv.configuredAmis = configured.existing;
    inv.minimumCalls =
      pagesFor(tagged.total, PAGE_MAX.tagging) +
      (c.instance > 0 ? pagesFor(instances.items.length, PAGE_MAX.instances) : 0) +
      (c.volume > 0 ? pagesFor(volumes.items.length, PAGE_MAX.volumes) : 0) +
      (c.image > 0 ? pagesFor(images.items.length, PAGE_MAX.images) : 0) +
      (c.snapshot > 0 ? pagesFor(snapshots.items.length, PAGE_MAX.snapshots) : 0) +
      pagesFor(rules.items.length, PAGE_MAX.rules) +
      1 + // key pairs
      (envs.length > 0 ? Math.ceil(new Set(envs.map((e) => e.ami)).size / PAGE_MAX.filterValues) : 0) +
      groups.length +
      Math.ceil(new Set(unknown).size / PAGE_MAX.filterValues);
  } catch (err) {
    inv.assets = [];
    inv.error = `${region}: could not list assets (${describeAwsError(err)}); nothing there was marked or reaped`;
  }
  return inv;
}

/** Every region, a few at a time (each region's own calls are bounded too). */
export async function inventory(deps: InventoryDeps, regions: readonly string[], concurrency = 4): Promise<RegionInventory[]> {
  const limit = pLimit(Math.max(1, concurrency));
  return Promise.all(regions.map((r) => limit(() => inventoryRegion(deps, r))));
}
