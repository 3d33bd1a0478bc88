// teardown: removes everything the run put in AWS — after success, failure, cancel, timeout or a crash,
// and whether the steps before it ran, half ran or never ran. It finds the run's assets by the store's
// records and by tag, touches only what is tagged with this run, and keeps going past a failure on one
// asset so every other one still goes; what could not be removed is listed for the person and the sweeper.
import {
  DeleteKeyPairCommand,
  DeleteVolumeCommand,
  DescribeVolumesCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  TerminateInstancesCommand,
  type Volume,
} from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describeAwsError, isNotFound } from '../../aws/errors.ts';
import { WaitTimeoutError, waitForInstanceState, waitForTargetHealth } from '../../aws/waiters.ts';
import type { Asset, AssetKind } from '../../domain/asset.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import { errorLine } from '../run-errors.ts';
import type { TeardownOutputs } from '../step-outputs.ts';
import { isRunResource, type RunIdentity } from '../../aws/run-ownership.ts';
import { discoverRegion, type FoundTarget, type RegionFindings } from './helpers/teardown-discovery.ts';
import { retryThrottled } from './helpers/throttle-retry.ts';
import { targetAssetId } from '../../domain/asset.ts';

/** How long teardown waits for its instances to terminate (at most half the step's time). */
const TERMINATE_WAIT_MS = 10 * 60_000;
const POLL_INTERVAL_MS = 5_000;
/** How long teardown waits for deregistered targets to finish draining (at most a quarter of the step's time). */
const DRAIN_WAIT_MS = 5 * 60_000;

/** Counts and failures of one teardown; every asset done is marked deleted in the store as it goes. */
class Tally {
  deleted = 0;
  alreadyGone = 0;
  readonly failed: string[] = [];
  readonly #ctx: RunContext;

  constructor(ctx: RunContext) {
    this.#ctx = ctx;
  }

  /** Records the asset first when only the tag search knew it, so the store's history is whole. */
  async done(kind: AssetKind, id: string, how: 'deleted' | 'gone'): Promise<void> {
    await this.#ctx.recordAsset(kind, id);
    await this.#ctx.assetDeleted(kind, id);
    if (how === 'deleted') this.deleted++;
    else this.alreadyGone++;
  }

  fail(kind: AssetKind, id: string, reason: string): void {
    this.failed.push(`${kind} ${id}: ${reason}`);
  }

  /** Runs one asset's work; whatever it throws becomes that asset's failure, never the others'. */
  async each(kind: AssetKind, id: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.fail(kind, id, describeAwsError(err));
    }
  }
}

async function run(ctx: RunContext): Promise<StepResult<TeardownOutputs>> {
  const tally = new Tally(ctx);
  const recorded = (await ctx.records.assets()).filter((a) => a.deletedAt === null);
  const regions = [...new Set([ctx.env.region, ...recorded.map((a) => a.region)])];
  for (const region of regions) {
    await tearDownRegion(ctx, region, recorded.filter((a) => a.region === region), tally);
  }
  const outputs: TeardownOutputs = { deleted: tally.deleted, alreadyGone: tally.alreadyGone, failed: tally.failed };
  ctx.log(
    `${tally.deleted} deleted, ${tally.alreadyGone} already gone` +
      (tally.failed.length > 0 ? `, ${tally.failed.length} failed (${tally.failed.join('; ')})` : ''),
  );
  return { outputs };
}

export const teardownStep: PipelineStep<'teardown'> = { name: 'teardown', safeToRepeat: true, run };

async function tearDownRegion(ctx: RunContext, region: string, recorded: Asset[], tally: Tally): Promise<void> {
  const who: RunIdentity = { installation: ctx.config.installation, runId: ctx.run.id };
  const ec2 = ctx.aws.ec2(region);
  const elb = ctx.aws.elbv2(region);
  const call = <T>(work: () => Promise<T>) => retryThrottled(ctx.clock, ctx.signal, work);

  const found = await discoverRegion({
    who,
    region,
    ec2,
    elb,
    recorded,
    targetGroupArns: region === ctx.env.region ? [ctx.env.targetGroupArn] : [],
    signal: ctx.signal,
    call,
  });
  tally.failed.push(...found.problems);
  for (const { kind, id } of found.gone) await tally.each(kind, id, () => tally.done(kind, id, 'gone'));

  // Traffic first, then the door, then the machine, then its key.
  const draining: FoundTarget[] = [];
  for (const t of found.targets) {
    const id = foundTargetId(t);
    await tally.each('target', id, async () => {
      try {
        await call(() => elb.send(new DeregisterTargetsCommand({ TargetGroupArn: t.targetGroupArn, Targets: [{ Id: t.instanceId, Port: t.port }] })));
        draining.push(t);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await tally.done('target', id, 'gone');
      }
    });
  }

  for (const rule of found.rules.values()) {
    await tally.each('security-group-rule', rule.id, async () => {
      const input = { GroupId: rule.groupId, SecurityGroupRuleIds: [rule.id] };
      try {
        await call(() =>
          rule.egress ? ec2.send(new RevokeSecurityGroupEgressCommand(input)) : ec2.send(new RevokeSecurityGroupIngressCommand(input)),
        );
        await tally.done('security-group-rule', rule.id, 'deleted');
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await tally.done('security-group-rule', rule.id, 'gone');
      }
    });
  }

  const terminating: string[] = [];
  for (const id of found.instances.keys()) {
    await tally.each('instance', id, async () => {
      try {
        await call(() => ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })));
        terminating.push(id);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await tally.done('instance', id, 'gone');
      }
    });
  }

  for (const [id, name] of found.keyPairs) {
    await tally.each('key-pair', id, async () => {
      // DeleteKeyPair succeeds for a pair that is not there, so "already gone" cannot be told apart here.
      await call(() => ec2.send(new DeleteKeyPairCommand({ KeyPairId: id })));
      await tally.done('key-pair', id, 'deleted');
      ctx.log(`deleted key pair ${name}`);
    });
  }

  const terminated = new Set<string>();
  const waitMs = Math.min(TERMINATE_WAIT_MS, ctx.config.runs.stepTimeouts.teardown / 2);
  for (const id of terminating) {
    await tally.each('instance', id, async () => {
      try {
        await waitForInstanceState(ec2, id, 'terminated', {
          timeoutMs: waitMs,
          intervalMs: POLL_INTERVAL_MS,
          signal: ctx.signal,
          sleep: (ms, signal) => ctx.clock.sleep(ms, signal),
          now: () => ctx.clock.now().getTime(),
        });
      } catch (err) {
        throw new Error(`terminating, not confirmed: ${errorLine(err)}`);
      }
      terminated.add(id);
      await tally.done('instance', id, 'deleted');
    });
  }

  await confirmTargetsGone(ctx, elb, draining, tally);
  await removeVolumes(ctx, found, terminated, tally, call);
}

function foundTargetId(t: FoundTarget): string {
  return targetAssetId(t.targetGroupArn, t.instanceId);
}

/**
 * A deregistered target stays listed while it drains. Its instance is gone by now, so draining ends soon;
 * one still draining when the wait ends is counted done all the same: deregistration cannot be undone.
 */
async function confirmTargetsGone(ctx: RunContext, elb: ElasticLoadBalancingV2Client, draining: FoundTarget[], tally: Tally): Promise<void> {
  const waitMs = Math.min(DRAIN_WAIT_MS, ctx.config.runs.stepTimeouts.teardown / 4);
  for (const t of draining) {
    const id = foundTargetId(t);
    await tally.each('target', id, async () => {
      try {
        await waitForTargetHealth(elb, t.targetGroupArn, { Id: t.instanceId, Port: t.port }, 'gone', {
          timeoutMs: waitMs,
          signal: ctx.signal,
          sleep: (ms, signal) => ctx.clock.sleep(ms, signal),
          now: () => ctx.clock.now().getTime(),
        });
      } catch (err) {
        if (!(err instanceof WaitTimeoutError) && !isNotFound(err)) throw err;
        ctx.log(`target ${t.instanceId} is still draining from ${t.targetGroupArn.split(':').pop() ?? t.targetGroupArn}; it leaves by itself`);
      }
      await tally.done('target', id, 'deleted');
    });
  }
}

/**
 * Volumes go with their instance (DeleteOnTermination): confirmed gone here. One left behind detached
 * (DeleteOnTermination false) is deleted when it carries this run's tags.
 */
async function removeVolumes(
  ctx: RunContext,
  found: RegionFindings,
  terminated: ReadonlySet<string>,
  tally: Tally,
  call: <T>(work: () => Promise<T>) => Promise<T>,
): Promise<void> {
  const who: RunIdentity = { installation: ctx.config.installation, runId: ctx.run.id };
  const ec2 = ctx.aws.ec2(found.region);
  // Which instance each volume belonged to, so a volume gone with an instance teardown terminated counts as deleted by it.
  const owner = new Map<string, string>();
  for (const [id, i] of found.instances) for (const m of i.BlockDeviceMappings ?? []) if (m.Ebs?.VolumeId) owner.set(m.Ebs.VolumeId, id);
  const byUs = (volumeId: string) => terminated.has(owner.get(volumeId) ?? '');

  for (const volumeId of found.volumeIds) {
    await tally.each('volume', volumeId, async () => {
      let volume: Volume | undefined;
      try {
        const out = await call(() => ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }), { abortSignal: ctx.signal }));
        volume = out.Volumes?.find((v) => v.VolumeId === volumeId);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const state = volume?.State;
      if (!volume || state === 'deleting' || state === 'deleted') return tally.done('volume', volumeId, byUs(volumeId) ? 'deleted' : 'gone');
      const attachedTo = volume.Attachments?.find((a) => a.State !== 'detached')?.InstanceId;
      if (state === 'in-use') {
        // Terminated, about to be deleted with it.
        if (attachedTo && terminated.has(attachedTo) && volume.Attachments?.[0]?.DeleteOnTermination) return tally.done('volume', volumeId, 'deleted');
        return tally.fail('volume', volumeId, `still attached to ${attachedTo ?? 'an instance'}`);
      }
      if (!isRunResource(volume.Tags, who)) return tally.fail('volume', volumeId, 'its tags do not name this run; left alone');
      if (state !== 'available') return tally.fail('volume', volumeId, `is ${state ?? 'in an unknown state'}`);
      try {
        await call(() => ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId })));
        await tally.done('volume', volumeId, 'deleted');
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await tally.done('volume', volumeId, 'gone');
      }
    });
  }
}
