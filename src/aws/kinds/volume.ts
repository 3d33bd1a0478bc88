// EBS volumes: the root volume RunInstances creates with each instance. Attached, it is priced and
// terminated with its instance; left behind detached, it is an asset of its own.
import { DeleteVolumeCommand, DescribeVolumesCommand, paginateDescribeVolumes, type Instance, type Volume } from '@aws-sdk/client-ec2';
import { isNotFound } from '../errors.ts';
import { isRunResource, runTagFilters } from '../run-ownership.ts';
import { readTags } from '../tags.ts';
import type { Priced } from '../../cost/estimate.ts';
import { PAGE_MAX, idFilter, listVolumes, pagesFor, parseDate } from './describe.ts';
import { itemsOf, type TeardownFindings, type TeardownScope, type TeardownTally } from './teardown-types.ts';
import type { AssetKindDescriptor, FoundAsset } from './types.ts';

export function volumePrice(region: string, v: Volume): Priced {
  return { kind: 'volume', region, volumeType: v.VolumeType ?? 'gp2', sizeGb: v.Size ?? 0 };
}

export function volumeAsset(region: string, v: Volume): FoundAsset {
  return {
    kind: 'volume',
    id: v.VolumeId ?? '',
    region,
    tags: readTags(v.Tags),
    createdAt: parseDate(v.CreateTime),
    priced: [volumePrice(region, v)],
    detail: `${v.Size ?? '?'} GB ${v.VolumeType ?? ''} volume ${v.State ?? ''}`.replace(/\s+/g, ' ').trim(),
    extra: { state: v.State ?? 'unknown' },
  };
}

// ---- teardown -----------------------------------------------------------------------------------

async function searchVolumes(s: TeardownScope, f: TeardownFindings): Promise<void> {
  const volumes = itemsOf<null>(f, 'volume');
  await s.call(async () => {
    const pages = paginateDescribeVolumes({ client: s.ec2, pageSize: 100 }, { Filters: runTagFilters(s.who) }, { abortSignal: s.signal });
    for await (const page of pages) {
      for (const v of page.Volumes ?? []) if (v.VolumeId && isRunResource(v.Tags, s.who)) volumes.set(v.VolumeId, null);
    }
  });
}

/**
 * Volumes go with their instance (DeleteOnTermination): confirmed gone here. One left behind detached
 * (DeleteOnTermination false) is deleted when it carries this run's tags.
 */
async function removeVolumes(s: TeardownScope, f: TeardownFindings, tally: TeardownTally): Promise<void> {
  // Which instance each volume belonged to, so a volume gone with an instance teardown terminated counts as deleted by it.
  const owner = new Map<string, string>();
  for (const [id, i] of itemsOf<Instance>(f, 'instance')) for (const m of i.BlockDeviceMappings ?? []) if (m.Ebs?.VolumeId) owner.set(m.Ebs.VolumeId, id);
  const byUs = (volumeId: string) => f.terminated.has(owner.get(volumeId) ?? '');

  for (const volumeId of itemsOf<null>(f, 'volume').keys()) {
    await tally.each('volume', volumeId, async () => {
      let volume: Volume | undefined;
      try {
        const out = await s.call(() => s.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }), { abortSignal: s.signal }));
        volume = out.Volumes?.find((v) => v.VolumeId === volumeId);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const state = volume?.State;
      if (!volume || state === 'deleting' || state === 'deleted') return tally.done('volume', volumeId, byUs(volumeId) ? 'deleted' : 'gone');
      const attachedTo = volume.Attachments?.find((a) => a.State !== 'detached')?.InstanceId;
      if (state === 'in-use') {
        // Terminated, about to be deleted with it.
        if (attachedTo && f.terminated.has(attachedTo) && volume.Attachments?.[0]?.DeleteOnTermination) return tally.done('volume', volumeId, 'deleted');
        return tally.fail('volume', volumeId, `still attached to ${attachedTo ?? 'an instance'}`);
      }
      if (!isRunResource(volume.Tags, s.who)) return tally.fail('volume', volumeId, 'its tags do not name this run; left alone');
      if (state !== 'available') return tally.fail('volume', volumeId, `is ${state ?? 'in an unknown state'}`);
      try {
        await s.call(() => s.ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })));
        await tally.done('volume', volumeId, 'deleted');
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await tally.done('volume', volumeId, 'gone');
      }
    });
  }
}

export const volume: AssetKindDescriptor<'volume'> = {
  kind: 'volume',
  singular: 'volume',
  plural: 'volumes',
  ec2ResourceType: 'volume',
  createdBy: 'RunInstances',
  marks: 'tag',
  retagOnKeep: true,
  rule: 'run',
  iam: { read: ['ec2:DescribeVolumes'], create: ['ec2:RunInstances'], remove: ['ec2:DeleteVolume'] },
  leftBehind: () => 'volume left behind',
  swept: {
    taggingType: 'ec2:volume',
    list: (scope, owned) => listVolumes(scope, owned),
    minimumCalls: (n) => pagesFor(n, PAGE_MAX.volumes),
    // An attached volume is its instance's (priced with it, gone with it), or in use by something else.
    assets: (region, items) => (items as Volume[]).filter((v) => (v.Attachments ?? []).length === 0 && v.State !== 'in-use').map((v) => volumeAsset(region, v)),
  },
  reap: {
    async recheck(scope, due) {
      return (await listVolumes(scope, [idFilter('volume-id', due.map((d) => d.id))])).items.map((v) => volumeAsset(scope.region, v));
    },
    recheckCalls: (batches) => batches,
    hold: (fresh) => (fresh.extra.state === 'in-use' ? { why: 'the volume is attached again', unmark: false } : null),
    async remove(scope, a) {
      await scope.calls.send((o) => scope.ec2.send(new DeleteVolumeCommand({ VolumeId: a.id }), o));
      return [];
    },
  },
  teardown: {
    search: { order: 4, run: searchVolumes },
    recorded: {
      order: 4,
      async run(s, f) {
        const volumes = itemsOf<null>(f, 'volume');
        for (const a of s.recorded) if (a.kind === 'volume') volumes.set(a.id, null);
      },
    },
    // Last: once the instances they were attached to are gone.
    finish: { order: 3, run: removeVolumes },
  },
};
