// The warm path of launch: take a prepared member of the environment's pool (the store's claim is
// atomic: of two launches racing for one member exactly one gets it), make its instance, volumes and
// network interface this run's (store records first, then fenced CreateTags/DeleteTags: the member is
// the run's from the claim on, and teardown finishes a handover a crash cut short), start it and wait
// until it runs with its new public address. The steps after it run as after a cold launch, except that
// service-update runs the warm recipe.
import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand, StartInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { isNotFound } from '../../../aws/errors.ts';
import { HANDOVER_TAGS, TAG, readTags, sanitizeTagValue } from '../../../aws/tags.ts';
import { waitForInstanceState } from '../../../aws/waiters.ts';
import type { PoolMember } from '../../../domain/pool.ts';
import type { RunContext } from '../../run-context.ts';
import { EPHEMERAL_KEY_SECRET, type LaunchOutputs } from '../../step-outputs.ts';
import { stepError } from './aws-step-error.ts';
import { POLL_INTERVAL_MS, outputsOf, waitRunning } from './instance-outputs.ts';

const GONE = new Set(['shutting-down', 'terminated']);

/** The member's instance as EC2 shows it now; null when it is gone (terminated, or never launched). */
async function memberInstance(ctx: RunContext, ec2: EC2Client, member: PoolMember): Promise<Instance | null> {
  if (!member.instanceId) return null;
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [member.instanceId] }), { abortSignal: ctx.signal });
    const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === member.instanceId) ?? null;
    return instance && !GONE.has(instance.State?.Name ?? '') ? instance : null;
  } catch (err) {
    if (isNotFound(err)) return null;
    throw stepError(`DescribeInstances ${member.instanceId} (warm member ${member.id})`, err);
  }
}

function resourcesOf(instance: Instance): string[] {
  const volumes = (instance.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [m.Ebs.VolumeId] : []));
  const enis = (instance.NetworkInterfaces ?? []).flatMap((n) => (n.NetworkInterfaceId ? [n.NetworkInterfaceId] : []));
  return [instance.InstanceId!, ...volumes, ...enis];
}

/**
 * Makes the claimed member's instance, volumes and interface this run's: the store's records, then the
 * seven run tags (asset-id, requested-by, expires-at...) over the pool's, then the pool tag removed.
 * Idempotent; returns the instance, or null when it is gone.
 */
async function retag(ctx: RunContext, ec2: EC2Client, member: PoolMember): Promise<Instance | null> {
  const instance = await memberInstance(ctx, ec2, member);
  await ctx.records.pool.takeAssets(member);
  if (!instance) return null;
  const ids = resourcesOf(instance);
  const tags = readTags(instance.Tags);
  if (tags[TAG.assetId] !== sanitizeTagValue(ctx.run.id) || TAG.pool in tags) {
    try {
      await ec2.send(new CreateTagsCommand({ Resources: ids, Tags: ctx.tags(`stagebot ${ctx.run.id}`).filter((t) => HANDOVER_TAGS.includes(t.Key!)) }));
      await ec2.send(new DeleteTagsCommand({ Resources: ids, Tags: [{ Key: TAG.pool }] }));
    } catch (err) {
      throw stepError(`CreateTags/DeleteTags (handing warm member ${member.id} to this run)`, err);
    }
  }
  await ctx.recordAsset('instance', instance.InstanceId!);
  return instance;
}

/** Teardown's part: a member this run claimed is retagged as its own (if a crash came first) so the tag search finds it. */
export async function handOverClaimed(ctx: RunContext, member: PoolMember): Promise<void> {
  await retag(ctx, ctx.aws.ec2(ctx.env.region), member);
}

/** Starts the member's instance unless it runs (a `running` pool) and waits until it does. */
async function start(ctx: RunContext, ec2: EC2Client, instance: Instance): Promise<Instance> {
  const id = instance.InstanceId!;
  let state = instance.State?.Name;
  if (state === 'stopping') {
    try {
      await waitForInstanceState(ec2, id, 'stopped', { timeoutMs: ctx.config.runs.stepTimeouts.launch, intervalMs: POLL_INTERVAL_MS, signal: ctx.signal, sleep: (ms, s) => ctx.clock.sleep(ms, s), now: () => ctx.clock.now().getTime() });
    } catch (err) {
      throw stepError(`waiting for ${id} to stop before starting it`, err);
    }
    state = 'stopped';
  }
  if (state === 'running') return instance;
  if (state === 'stopped') {
    try {
      await ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    } catch (err) {
      throw stepError(`StartInstances ${id}`, err);
    }
  }
  return waitRunning(ctx, ec2, id);
}

/** Puts the member's sealed key where the SSH steps look; false (with a warning) when it cannot be opened. */
async function restoreKey(ctx: RunContext, member: PoolMember): Promise<boolean> {
  if (ctx.env.keyPair !== 'ephemeral' || ctx.secrets.has(EPHEMERAL_KEY_SECRET)) return true;
  const key = await ctx.records.pool.claimedKey(member);
  if (typeof key === 'string') {
    ctx.secrets.set(EPHEMERAL_KEY_SECRET, key);
    return true;
  }
  ctx.warn(`warm member ${member.id} cannot be used: ${key instanceof Error ? key.message : 'its SSH key was not kept'}; launching cold (teardown removes the member)`, 'launch');
  return false;
}

async function finish(ctx: RunContext, ec2: EC2Client, member: PoolMember, how: string): Promise<LaunchOutputs | null> {
  const instance = await retag(ctx, ec2, member);
  if (!instance) {
    ctx.warn(`warm member ${member.id} is gone (${member.instanceId ?? 'no instance'}); launching cold`, 'launch');
    await ctx.records.pool.forget(member);
    return null;
  }
  // An unusable member is this run's now: its teardown terminates it (the tag search finds it).
  if (!(await restoreKey(ctx, member))) return null;
  const running = await start(ctx, ec2, instance);
  const age = member.builtAt ? Math.round((ctx.clock.now().getTime() - member.builtAt.getTime()) / 60_000) : null;
  ctx.warn(`${how} warm member ${member.id} (${instance.InstanceId}, prepared at ${member.baseRef}${age !== null ? ` ${age} min ago` : ''}); service-update runs the warm recipe`, 'launch');
  const outputs = await outputsOf(ctx, running, {
    keyName: running.KeyName ?? null,
    keyPairId: null,
    ephemeralKey: ctx.env.keyPair === 'ephemeral',
    adopted: false,
    subnetId: running.SubnetId ?? '',
  });
  return { ...outputs, ami: member.ami, warmMember: member.id };
}

/** The warm path: a ready member built from `ami` and younger than maxAge, taken for this run; null: go cold. */
export async function claimWarm(ctx: RunContext, ec2: EC2Client, ami: string): Promise<LaunchOutputs | null> {
  const pool = ctx.env.warmPool;
  if (!pool) return null;
  const member = await ctx.records.pool.claim(ami, new Date(ctx.clock.now().getTime() - pool.maxAge), ctx.env.keyPair === 'ephemeral');
  if (!member) {
    ctx.log(`no warm member of ${ctx.env.name} is ready; launching cold (the pool refills)`);
    return null;
  }
  return finish(ctx, ec2, member, 'took');
}

/** A member this run claimed before it stopped (a resume after a crash mid-claim): the claim is finished. */
export async function resumeClaim(ctx: RunContext, ec2: EC2Client): Promise<LaunchOutputs | null> {
  const member = await ctx.records.pool.claimed();
  if (!member) return null;
  return finish(ctx, ec2, member, 'resumed the claim of');
}
