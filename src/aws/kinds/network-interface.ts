// The network interface RunInstances creates with each instance: tagged at creation like the instance,
// listed among the run's assets, and deleted by AWS with it (DeleteOnTermination). Teardown confirms
// that: once the instance is terminated, the interface is looked up, and counted deleted only when it
// is gone; one left behind detached (its DeleteOnTermination turned off) is deleted when it is ours.
import { DeleteNetworkInterfaceCommand, DescribeNetworkInterfacesCommand, type Instance, type NetworkInterface } from '@aws-sdk/client-ec2';
import { isNotFound } from '../errors.ts';
import { isRunResource } from '../run-ownership.ts';
import { itemsOf, NOT_THIS_RUNS, type TeardownFindings, type TeardownScope, type TeardownTally } from './teardown-types.ts';
import type { AssetKindDescriptor } from './types.ts';

/** Pause between looks at an interface whose instance has just terminated (AWS deletes it shortly after). */
const POLL_INTERVAL_MS = 5_000;
/** How long teardown waits for AWS to delete an interface with its instance (at most a quarter of the step's time). */
const GONE_WAIT_MS = 2 * 60_000;

/** The run's interfaces: recorded by launch, and those of the instances teardown found (by tag or record). */
async function collectInterfaces(s: TeardownScope, f: TeardownFindings): Promise<void> {
  const interfaces = itemsOf<string | null>(f, 'network-interface');
  for (const a of s.recorded) if (a.kind === 'network-interface') interfaces.set(a.id, null);
  for (const [instanceId, i] of itemsOf<Instance>(f, 'instance')) {
    for (const n of i.NetworkInterfaces ?? []) if (n.NetworkInterfaceId) interfaces.set(n.NetworkInterfaceId, instanceId);
  }
}

async function describe(s: TeardownScope, id: string): Promise<NetworkInterface | null> {
  try {
    const out = await s.call(() => s.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [id] }), { abortSignal: s.signal }));
    return out.NetworkInterfaces?.find((n) => n.NetworkInterfaceId === id) ?? null;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/** After the instances: each interface is gone (deleted with its instance), deleted here (left behind, ours), or reported. */
async function confirmInterfaces(s: TeardownScope, f: TeardownFindings, tally: TeardownTally): Promise<void> {
  const waitMs = Math.min(GONE_WAIT_MS, s.stepTimeoutMs / 4);
  for (const [id, knownOwner] of itemsOf<string | null>(f, 'network-interface')) {
    await tally.each('network-interface', id, async () => {
      const deadline = s.now() + waitMs;
      let eni = await describe(s, id);
      const owner = knownOwner ?? eni?.Attachment?.InstanceId ?? null;
      // Attached to an instance this teardown terminated: AWS deletes it with the instance, maybe a moment later.
      const attached = (n: NetworkInterface | null) => n?.Status === 'in-use' || n?.Status === 'detaching';
      while (attached(eni) && owner && f.terminated.has(owner) && s.now() + POLL_INTERVAL_MS <= deadline) {
        await s.sleep(POLL_INTERVAL_MS, s.signal);
        eni = await describe(s, id);
      }
      const withUs = owner !== null && f.terminated.has(owner);
      if (!eni) return tally.done('network-interface', id, withUs ? 'deleted' : 'gone');
      if (attached(eni)) return tally.fail('network-interface', id, `still attached to ${eni.Attachment?.InstanceId ?? 'an instance'}`);
      if (!isRunResource(eni.TagSet, s.who)) return tally.fail('network-interface', id, NOT_THIS_RUNS);
      try {
        await s.call(() => s.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: id })));
        s.log(`deleted network interface ${id}, left behind by its instance`);
        await tally.done('network-interface', id, 'deleted');
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await tally.done('network-interface', id, 'gone');
      }
    });
  }
}

export const networkInterface: AssetKindDescriptor<'network-interface'> = {
  kind: 'network-interface',
  singular: 'network interface',
  plural: 'network interfaces',
  ec2ResourceType: 'network-interface',
  createdBy: 'RunInstances',
  marks: 'tag',
  // A run's recorded asset: its expires-at follows a keep like the instance's.
  retagOnKeep: true,
  rule: 'run',
  iam: { read: ['ec2:DescribeNetworkInterfaces'], create: ['ec2:RunInstances'], remove: ['ec2:DeleteNetworkInterface'] },
  leftBehind: () => 'network interface left behind',
  teardown: {
    // After the instances' (order 1): their interfaces are known by then.
    recorded: { order: 5, run: collectInterfaces },
    // After the instances have terminated (order 1), before the volumes (order 3).
    finish: { order: 2, run: confirmInterfaces },
  },
};
