// The Describe* listings the sweeper trusts (the Tagging API only says where to look): each paginated at
// AWS's largest page size, filtered either by our managed-by tag (inventory) or by ids (the re-check
// before a delete, where a filter, unlike an id list, does not fail the whole call for one missing id).

import {
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  type EC2Client,
  type Filter,
  type Image,
  type Instance,
  type KeyPairInfo,
  type SecurityGroupRule,
  type Snapshot,
  type Volume,
} from '@aws-sdk/client-ec2';
import type { AwsCalls } from '../calls.ts';

/** Largest page each listing accepts; the minimum number of calls follows from these. */
export const PAGE_MAX = {
  instances: 1000,
  volumes: 500,
  images: 1000,
  snapshots: 1000,
  rules: 1000,
  tagging: 100,
  /** Values one EC2 filter takes. */
  filterValues: 200,
} as const;

/** Every state but terminated and shutting-down (already on its way out: nothing left to reap). */
export const LIVE_INSTANCE_STATES = ['pending', 'running', 'stopping', 'stopped'];

export interface Listing<T> {
  items: T[];
  pages: number;
}

export interface Ec2Scope {
  ec2: EC2Client;
  calls: AwsCalls;
}

export async function listInstances(s: Ec2Scope, filters: Filter[]): Promise<Listing<Instance>> {
  return s.calls.pages(async (NextToken) => {
    const out = await s.calls.send((o) => s.ec2.send(new DescribeInstancesCommand({ Filters: filters, MaxResults: PAGE_MAX.instances, NextToken }), o));
    return { items: (out.Reservations ?? []).flatMap((r) => r.Instances ?? []), next: out.NextToken };
  });
}

export async function listVolumes(s: Ec2Scope, filters: Filter[]): Promise<Listing<Volume>> {
  return s.calls.pages(async (NextToken) => {
    const out = await s.calls.send((o) => s.ec2.send(new DescribeVolumesCommand({ Filters: filters, MaxResults: PAGE_MAX.volumes, NextToken }), o));
    return { items: out.Volumes ?? [], next: out.NextToken };
  });
}

/** `owners` ['self'] for ours; none to also see AMIs shared with or public to this account (configured ones). */
export async function listImages(s: Ec2Scope, filters: Filter[], owners?: string[]): Promise<Listing<Image>> {
  return s.calls.pages(async (NextToken) => {
    const out = await s.calls.send((o) =>
      s.ec2.send(new DescribeImagesCommand({ ...(owners ? { Owners: owners } : {}), Filters: filters, MaxResults: PAGE_MAX.images, NextToken }), o),
    );
    return { items: out.Images ?? [], next: out.NextToken };
  });
}

export async function listSnapshots(s: Ec2Scope, filters: Filter[]): Promise<Listing<Snapshot>> {
  return s.calls.pages(async (NextToken) => {
    const out = await s.calls.send((o) =>
      s.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: filters, MaxResults: PAGE_MAX.snapshots, NextToken }), o),
    );
    return { items: out.Snapshots ?? [], next: out.NextToken };
  });
}

export async function listRules(s: Ec2Scope, filters: Filter[]): Promise<Listing<SecurityGroupRule>> {
  return s.calls.pages(async (NextToken) => {
    const out = await s.calls.send((o) => s.ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: filters, MaxResults: PAGE_MAX.rules, NextToken }), o));
    return { items: out.SecurityGroupRules ?? [], next: out.NextToken };
  });
}

/** DescribeKeyPairs is not paginated: one call. */
export async function listKeyPairs(s: Ec2Scope, filters: Filter[]): Promise<Listing<KeyPairInfo>> {
  const out = await s.calls.send((o) => s.ec2.send(new DescribeKeyPairsCommand({ Filters: filters }), o));
  return { items: out.KeyPairs ?? [], pages: 1 };
}

/** A filter on ids (`instance-id`, `volume-id`...), at most PAGE_MAX.filterValues of them. */
export function idFilter(name: string, ids: readonly string[]): Filter {
  if (ids.length > PAGE_MAX.filterValues) throw new Error(`idFilter: ${ids.length} ids, at most ${PAGE_MAX.filterValues}`);
  return { Name: name, Values: [...ids] };
}

/** The fewest pages a listing of `n` items takes at `pageSize` a page (an empty listing is one page). */
export const pagesFor = (n: number, pageSize: number): number => Math.max(1, Math.ceil(n / pageSize));

/** A Describe* time (a Date, or a string for some fields), or null when missing or unreadable. */
export function parseDate(d: Date | string | undefined): Date | null {
  if (d === undefined) return null;
  const parsed = d instanceof Date ? d : new Date(d);
  return Number.isNaN(parsed.getTime()) ? null : parsed;
}
