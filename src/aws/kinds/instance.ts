// EC2 instances: what a run launches, and what costs most when left behind. Its attached volumes
// are priced with it and go with it at termination.
import { DescribeInstancesCommand, TerminateInstancesCommand, paginateDescribeInstances, type Instance, type Volume } from '@aws-sdk/client-ec2';
import { chunks } from '../calls.ts';
import { isNotFound } from '../errors.ts';
import { isRunResource, runTagFilters } from '../run-ownership.ts';
import { isProtected, readTags, type ProtectTag } from '../tags.ts';
import { waitForInstanceState } from '../waiters.ts';
import { errorLine } from '../../errors.ts';
import type { Priced } from '../../cost/estimate.ts';
import { parseTargetAssetId } from '../../domain/asset.ts';
import { LIVE_INSTANCE_STATES, PAGE_MAX, idFilter, listInstances, listVolumes, pagesFor, parseDate, type Ec2Scope } from './describe.ts';
import { NOT_THIS_RUNS, itemsOf, startedOf, type TeardownFindings, type TeardownScope } from './teardown-types.ts';
import type { AssetKindDescriptor, FoundAsset } from './types.ts';
import { volumePrice } from './volume.ts';

/** Every state but `terminated`: a shutting-down instance still has to be waited for. */
const NOT_TERMINATED = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];
/** How long teardown waits for its instances to terminate (at most half the step's time). */
const TERMINATE_WAIT_MS = 10 * 60_000;
const POLL_INTERVAL_MS = 5_000;

export function instanceAsset(region: string, i: Instance, volumesById: ReadonlyMap<string, Volume>): FoundAsset {
  const state = i.State?.Name ?? 'unknown';
  const volumeIds = (i.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [m.Ebs.VolumeId] : []));
  // A stopped instance bills its volumes (and a public IP it keeps), not instance-hours.
  const billed = state === 'running' || state === 'pending';
  const priced: Priced[] = [];
  if (billed) priced.push({ kind: 'instance', region, instanceType: i.InstanceType ?? 'unknown', publicIpv4: Boolean(i.PublicIpAddress) });
  for (const id of volumeIds) {
    const v = volumesById.get(id);
    if (v) priced.push(volumePrice(region, v));
  }
  const gb = volumeIds.reduce((n, id) => n + (volumesById.get(id)?.Size ?? 0), 0);
  return {
    kind: 'instance',
    id: i.InstanceId ?? '',
    region,
    tags: readTags(i.Tags),
    createdAt: parseDate(i.LaunchTime),
    priced,
    detail: `${i.InstanceType ?? 'instance'} ${state}${gb > 0 ? ` with ${gb} GB of volumes` : ''}`,
    extra: { state, children: volumeIds },
  };
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

/** Protected volumes attached to each of `instanceIds` (one listing for all of them), by instance id. */
async function protectedVolumes(scope: Ec2Scope, instanceIds: string[], protect: ProtectTag): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const v of (await listVolumes(scope, [idFilter('attachment.instance-id', instanceIds)])).items) {
    if (!isProtected(readTags(v.Tags), protect)) continue;
    for (const att of v.Attachments ?? []) {
      if (att.InstanceId) out.set(att.InstanceId, [...(out.get(att.InstanceId) ?? []), v.VolumeId ?? '']);
    }
  }
  return out;
}

// ---- teardown -----------------------------------------------------------------------------------

function keepVolumes(instance: Instance, f: TeardownFindings): void {
  const volumes = itemsOf<null>(f, 'volume');
  for (const m of instance.BlockDeviceMappings ?? []) if (m.Ebs?.VolumeId) volumes.set(m.Ebs.VolumeId, null);
}

function foundInstance(f: TeardownFindings, instance: Instance & { InstanceId: string }): void {
  itemsOf<Instance>(f, 'instance').set(instance.InstanceId, instance);
  f.runInstances.add(instance.InstanceId);
  keepVolumes(instance, f);
}

async function searchInstances(s: TeardownScope, f: TeardownFindings): Promise<void> {
  await s.call(async () => {
    const pages = paginateDescribeInstances(
      { client: s.ec2, pageSize: 100 },
      { Filters: [...runTagFilters(s.who), { Name: 'instance-state-name', Values: NOT_TERMINATED }] },
      { abortSignal: s.signal },
    );
    for await (const page of pages) {
      for (const r of page.Reservations ?? []) {
        for (const i of r.Instances ?? []) {
          if (!i.InstanceId || !isRunResource(i.Tags, s.who)) continue;
          foundInstance(f, i as Instance & { InstanceId: string });
        }
      }
    }
  });
}

/** A recorded instance the tag search did not return: gone, ours after all, or someone else's. */
async function checkInstance(s: TeardownScope, id: string, f: TeardownFindings): Promise<'gone' | 'ours' | 'foreign'> {
  let instance: Instance | undefined;
  try {
    const out = await s.call(() => s.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }), { abortSignal: s.signal }));
    instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!instance || instance.State?.Name === 'terminated') return 'gone';
  if (!isRunResource(instance.Tags, s.who)) {
    f.problems.push(`instance ${id}: ${NOT_THIS_RUNS}`);
    return 'foreign';
  }
  foundInstance(f, { ...instance, InstanceId: id });
  return 'ours';
}

/** Recorded instances, and the instances behind recorded targets (register recorded them), count as the run's too. */
async function recordedInstances(s: TeardownScope, f: TeardownFindings): Promise<void> {
  const found = itemsOf<Instance>(f, 'instance');
  const recorded = new Set(s.recorded.filter((a) => a.kind === 'instance').map((a) => a.id));
  const behindTargets = s.recorded.filter((a) => a.kind === 'target').map((a) => parseTargetAssetId(a.id)?.instanceId ?? '');
  for (const id of new Set([...recorded, ...behindTargets])) {
    if (!id || found.has(id)) continue;
    await s.attempt(`instance ${id}`, async () => {
      const state = await checkInstance(s, id, f);
      if (state === 'foreign') return;
      f.runInstances.add(id);
      if (state === 'gone' && recorded.has(id)) f.gone.push({ kind: 'instance', id });
    });
  }
}

export const instance: AssetKindDescriptor<'instance'> = {
  kind: 'instance',
  singular: 'instance',
  plural: 'instances',
  ec2ResourceType: 'instance',
  createdBy: 'RunInstances',
  marks: 'tag',
  retagOnKeep: true,
  rule: 'run',
  // StopInstances: a bake stops its builder before imaging it, a replenish parks a warm pool member;
  // StartInstances: a launch starts the parked member it claimed.
  iam: { read: ['ec2:DescribeInstances'], create: ['ec2:RunInstances'], remove: ['ec2:TerminateInstances', 'ec2:StopInstances', 'ec2:StartInstances'] },
  leftBehind: (a) => `instance still ${a.extra.state ?? 'there'}`,
  swept: {
    taggingType: 'ec2:instance',
    list: (scope, owned) => listInstances(scope, [...owned, { Name: 'instance-state-name', Values: LIVE_INSTANCE_STATES }]),
    minimumCalls: (n) => pagesFor(n, PAGE_MAX.instances),
    assets(region, items, ctx) {
      const volumesById = new Map((ctx.listed('volume') as Volume[]).map((v) => [v.VolumeId ?? '', v]));
      return (items as Instance[]).map((i) => instanceAsset(region, i, volumesById));
    },
  },
  reap: {
    async recheck(scope, due) {
      const ids = due.map((d) => d.id);
      const { found } = await instancesById(scope, ids);
      const guarded = await protectedVolumes(scope, ids, scope.protectTag);
      return [...found.values()].map((i) => {
        const a = instanceAsset(scope.region, i, new Map());
        const vols = guarded.get(a.id);
        if (vols) a.extra.protectedVolumes = vols;
        return a;
      });
    },
    // Also its attached volumes (the protect tag).
    recheckCalls: (batches) => 2 * batches,
    gone: (fresh) => fresh.extra.state === 'terminated' || fresh.extra.state === 'shutting-down',
    hold(fresh, protect) {
      const guarded = fresh.extra.protectedVolumes ?? [];
      if (guarded.length === 0) return null;
      const what = guarded.length === 1 ? `volume ${guarded[0]} attached to it carries` : `volumes ${guarded.join(', ')} attached to it carry`;
      return { why: `${what} ${protect.key}=${protect.value}`, unmark: false };
    },
    async remove(scope, a) {
      await scope.calls.send((o) => scope.ec2.send(new TerminateInstancesCommand({ InstanceIds: [a.id] }), o));
      return [];
    },
  },
  teardown: {
    search: { order: 1, run: searchInstances },
    recorded: { order: 1, run: recordedInstances },
    // After the traffic and the door: the machine.
    start: {
      order: 3,
      async run(s, f, tally) {
        const terminating = startedOf(f, 'instance');
        for (const id of itemsOf<Instance>(f, 'instance').keys()) {
          await tally.each('instance', id, async () => {
            try {
              await s.call(() => s.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
              terminating.push(id);
            } catch (err) {
              if (!isNotFound(err)) throw err;
              await tally.done('instance', id, 'gone');
            }
          });
        }
      },
    },
    finish: {
      order: 1,
      async run(s, f, tally) {
        const waitMs = Math.min(TERMINATE_WAIT_MS, s.stepTimeoutMs / 2);
        for (const id of startedOf(f, 'instance')) {
          await tally.each('instance', id, async () => {
            try {
              await waitForInstanceState(s.ec2, id, 'terminated', { timeoutMs: waitMs, intervalMs: POLL_INTERVAL_MS, signal: s.signal, sleep: s.sleep, now: s.now });
            } catch (err) {
              throw new Error(`terminating, not confirmed: ${errorLine(err)}`);
            }
            f.terminated.add(id);
            await tally.done('instance', id, 'deleted');
          });
        }
      },
    },
  },
};
