// ALB targets of the configured environments' target groups that point at instances that are gone.
// A target carries no tags: it is ours to clean because its target group is in the configuration.

import { DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Instance } from '@aws-sdk/client-ec2';
import { readTags } from '../aws/tags.ts';
import { targetAssetId } from '../domain/asset.ts';
import type { AwsCalls } from './aws-calls.ts';
import { chunks } from './aws-calls.ts';
import { PAGE_MAX, idFilter, listInstances, type Ec2Scope } from './describe.ts';
import type { FoundAsset } from './types.ts';

export interface TargetGroupRef {
  arn: string;
  env: string;
}

export interface RegisteredTarget {
  group: TargetGroupRef;
  instanceId: string;
  port: number | undefined;
  health: string;
}


/** One DescribeTargetHealth per group: its registered instance targets (draining ones are already leaving). */
export async function registeredTargets(elbv2: ElasticLoadBalancingV2Client, calls: AwsCalls, group: TargetGroupRef, instanceIds?: { Id: string; Port?: number }[]): Promise<RegisteredTarget[]> {
  const out = await calls.send((o) =>
    elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: group.arn, ...(instanceIds ? { Targets: instanceIds } : {}) }), o),
  );
  return (out.TargetHealthDescriptions ?? []).flatMap((d) => {
    const id = d.Target?.Id ?? '';
    const health = d.TargetHealth?.State ?? 'unknown';
    if (!id.startsWith('i-') || health === 'draining') return [];
    if (d.TargetHealth?.Reason === 'Target.NotRegistered') return [];
    return [{ group, instanceId: id, port: d.Target?.Port, health }];
  });
}

/** The instances behind `ids` as EC2 shows them now (terminated ones while still visible); missing ones are gone. */
export async function instancesById(s: Ec2Scope, ids: readonly string[]): Promise<{ found: Map<string, Instance>; pages: number }> {
  const found = new Map<string, Instance>();
  let pages = 0;
  for (const batch of chunks([...new Set(ids)], PAGE_MAX.filterValues)) {
    const listing = await listInstances(s, [idFilter('instance-id', batch)]);
    pages += listing.pages;
    for (const i of listing.items) if (i.InstanceId) found.set(i.InstanceId, i);
  }
  return { found, pages };
}

export function targetAsset(region: string, t: RegisteredTarget, instance: Instance | undefined): FoundAsset {
  const state = instance?.State?.Name ?? 'unknown';
  return {
    kind: 'target',
    id: targetAssetId(t.group.arn, t.instanceId),
    region,
    // The instance's tags, while EC2 still shows it: they name the run that left the target behind.
    tags: readTags(instance?.Tags),
    createdAt: null,
    priced: [{ kind: 'free' }],
    detail: `target ${t.instanceId}${t.port !== undefined ? `:${t.port}` : ''} (${t.health})`,
    extra: { state, targetGroupArn: t.group.arn, instanceId: t.instanceId, ...(t.port !== undefined ? { port: t.port } : {}), env: t.group.env },
  };
}
