// What launch (cold or warm) hands the steps after it: the instance waited on until it runs, its
// volumes and network interfaces recorded as the run's, and its addresses.
import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { waitForInstanceState } from '../../../aws/waiters.ts';
import type { RunContext } from '../../run-context.ts';
import type { LaunchOutputs } from '../../step-outputs.ts';
import { stepError } from './aws-step-error.ts';

/** Pause between DescribeInstances polls while the instance boots. */
export const POLL_INTERVAL_MS = 5_000;

export async function waitRunning(ctx: RunContext, ec2: EC2Client, instanceId: string): Promise<Instance> {
  try {
    const instance = await waitForInstanceState(ec2, instanceId, 'running', {
      timeoutMs: ctx.config.runs.stepTimeouts.launch,
      intervalMs: POLL_INTERVAL_MS,
      signal: ctx.signal,
      sleep: (ms, signal) => ctx.clock.sleep(ms, signal),
      now: () => ctx.clock.now().getTime(),
    });
    if (!instance) throw new Error(`DescribeInstances lost ${instanceId} after it ran`);
    return instance;
  } catch (err) {
    throw stepError(`waiting for ${instanceId} to run`, err);
  }
}

export async function outputsOf(
  ctx: RunContext,
  instance: Instance,
  more: Pick<LaunchOutputs, 'keyName' | 'keyPairId' | 'ephemeralKey' | 'adopted' | 'subnetId'>,
): Promise<LaunchOutputs> {
  const volumeIds = (instance.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [m.Ebs.VolumeId] : []));
  for (const id of volumeIds) await ctx.recordAsset('volume', id);
  // Tagged at creation like the instance, and the run's like its volumes: listed among its assets.
  const networkInterfaceIds = (instance.NetworkInterfaces ?? []).flatMap((n) => (n.NetworkInterfaceId ? [n.NetworkInterfaceId] : []));
  for (const id of networkInterfaceIds) await ctx.recordAsset('network-interface', id);
  return {
    instanceId: instance.InstanceId!,
    instanceType: instance.InstanceType ?? ctx.env.instanceType,
    publicIp: instance.PublicIpAddress ?? null,
    privateIp: instance.PrivateIpAddress ?? null,
    launchTime: instance.LaunchTime?.toISOString() ?? null,
    volumeIds,
    networkInterfaceIds,
    ...more,
    subnetId: instance.SubnetId ?? more.subnetId,
  };
}
