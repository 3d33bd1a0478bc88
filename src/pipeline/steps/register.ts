// register: puts the new instance alone behind the environment's target group. Every other target is
// deregistered first (no split-brain routing between an old and a new environment), then the instance is
// registered and watched until the load balancer calls it healthy.
import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  RegisterTargetsCommand,
  type ElasticLoadBalancingV2Client,
  type TargetHealth,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { describeAwsError, isThrottle } from '../../aws/errors.ts';
import { parseManagedTags, readTags } from '../../aws/tags.ts';
import { formatDuration } from '../../domain/duration.ts';
import { UserError } from '../../errors.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import { stepError } from './helpers/aws-step-error.ts';
import type { LaunchOutputs, RegisterOutputs } from '../step-outputs.ts';
import { targetAssetId } from '../../domain/asset.ts';

/** Pause between health polls: ALB health checks run every 5-30 s. */
export const HEALTH_POLL_INTERVAL_MS = 10_000;

/**
 * The target did not become healthy. `tail` carries the load balancer's last word even when the step
 * runner reports the timeout (the signal's reason) as the headline.
 */
export class TargetNeverHealthyError extends UserError {
  override readonly name = 'TargetNeverHealthyError';
  readonly tail: string;
  constructor(message: string) {
    super(message);
    this.tail = message;
  }
}

async function run(ctx: RunContext): Promise<StepResult<RegisterOutputs>> {
  const launch = ctx.outputOf('launch');
  if (!launch?.instanceId) throw new UserError('register needs the instance of the launch step, which left none');
  const instanceId = launch.instanceId;
  const arn = ctx.env.targetGroupArn;
  const elb = ctx.aws.elbv2(ctx.env.region);

  const deregistered = await deregisterOthers(ctx, elb, instanceId);
  try {
    // No abort signal: a registration cut off after AWS acted would not be recorded.
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: instanceId }] }));
  } catch (err) {
    throw stepError(`RegisterTargets ${instanceId} in ${groupName(arn)}`, err);
  }
  await ctx.recordAsset('target', targetAssetId(arn, instanceId));
  ctx.log(`registered ${instanceId} in ${groupName(arn)}; waiting until it is healthy`);

  const polls = await waitHealthy(ctx, elb, instanceId);
  ctx.log(`${instanceId} is healthy in ${groupName(arn)}`);
  return { outputs: { targetGroupArn: arn, deregistered, healthPolls: polls } satisfies RegisterOutputs };
}

export const registerStep: PipelineStep<'register'> = { name: 'register', safeToRepeat: true, run };

function groupName(arn: string): string {
  return arn.split(':').pop() ?? arn;
}

async function deregisterOthers(ctx: RunContext, elb: ElasticLoadBalancingV2Client, instanceId: string): Promise<string[]> {
  const arn = ctx.env.targetGroupArn;
  let descriptions;
  try {
    descriptions = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }), { abortSignal: ctx.signal })).TargetHealthDescriptions ?? [];
  } catch (err) {
    throw stepError(`DescribeTargetHealth of ${groupName(arn)}`, err);
  }
  const others = descriptions.flatMap((d) =>
    d.Target?.Id && d.Target.Id !== instanceId && d.TargetHealth?.State !== 'draining' ? [{ Id: d.Target.Id, Port: d.Target.Port }] : [],
  );
  if (others.length === 0) return [];
  try {
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: arn, Targets: others }));
  } catch (err) {
    throw stepError(`DeregisterTargets of ${groupName(arn)}`, err);
  }
  const ids = [...new Set(others.map((t) => t.Id))];
  // Someone else's instance stops serving the environment: the person must hear whose it was.
  ctx.warn(`deregistered ${(await describeOwners(ctx, ids)).join(', ')} from ${groupName(arn)}, so that only ${instanceId} serves ${ctx.env.name}`);
  return ids;
}

/**
 * Each target id with whose it was: `i-1 (run stg1-… of slack:U1)`, `i-2 (not launched by stagebot: legacy-web)`.
 * Best effort: a lookup that fails leaves the bare ids.
 */
async function describeOwners(ctx: RunContext, ids: string[]): Promise<string[]> {
  const instanceIds = ids.filter((id) => id.startsWith('i-'));
  const byId = new Map<string, Instance>();
  if (instanceIds.length > 0) {
    try {
      const out = await ctx.aws.ec2(ctx.env.region).send(new DescribeInstancesCommand({ InstanceIds: instanceIds }), { abortSignal: ctx.signal });
      for (const i of out.Reservations?.flatMap((r) => r.Instances ?? []) ?? []) if (i.InstanceId) byId.set(i.InstanceId, i);
    } catch (err) {
      ctx.log(`could not look up whose targets ${instanceIds.join(', ')} were: ${describeAwsError(err)}`);
    }
  }
  return ids.map((id) => {
    const instance = byId.get(id);
    if (!instance) return id;
    const tags = readTags(instance.Tags);
    const ours = parseManagedTags(tags, ctx.config.installation);
    if (ours) return `${id} (run ${ours.runId}${ours.requester ? ` of ${ours.requester}` : ''})`;
    return `${id} (not launched by stagebot${tags['Name'] ? `: ${tags['Name']}` : ''})`;
  });
}

function describeHealth(h: TargetHealth | undefined): string {
  if (!h?.State) return 'no health reported';
  if (!h.Reason) return h.State;
  return h.Description ? `${h.Reason} — ${h.Description}` : h.Reason;
}

/**
 * Polls until healthy. An unhealthy target keeps being polled (services may still be starting); the
 * step's timeout ends the wait, and the error then says what the load balancer last reported.
 */
async function waitHealthy(ctx: RunContext, elb: ElasticLoadBalancingV2Client, instanceId: string): Promise<number> {
  const arn = ctx.env.targetGroupArn;
  const timeoutMs = ctx.config.runs.stepTimeouts.register;
  const started = ctx.clock.now().getTime();
  let last: TargetHealth | undefined;
  const neverHealthy = (extra = '') =>
    new TargetNeverHealthyError(`target ${instanceId} never became healthy${extra}: ${describeHealth(last)}`);

  // The clock and the signal bound the wait; the count keeps it finite whatever either does.
  const maxPolls = Math.ceil(timeoutMs / HEALTH_POLL_INTERVAL_MS) + 2;
  for (let poll = 1; poll <= maxPolls; poll++) {
    if (ctx.signal.aborted) throw neverHealthy();
    try {
      const out = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn, Targets: [{ Id: instanceId }] }), {
        abortSignal: ctx.signal,
      });
      const health = out.TargetHealthDescriptions?.find((d) => d.Target?.Id === instanceId)?.TargetHealth;
      if (health?.State === 'healthy') return poll;
      last = health;
      // `unused` other than "not registered yet" does not change by waiting: instance stopped, or an AZ the load balancer does not serve.
      if (health?.State === 'unused' && health.Reason !== 'Target.NotRegistered') throw neverHealthy();
    } catch (err) {
      if (err instanceof TargetNeverHealthyError) throw err;
      if (ctx.signal.aborted) throw neverHealthy();
      if (!isThrottle(err)) throw stepError(`DescribeTargetHealth of ${instanceId}`, err);
    }
    // Stop at the last poll that fits in the step's time, with the reason, rather than be cut off without it.
    const elapsed = ctx.clock.now().getTime() - started;
    if (elapsed + HEALTH_POLL_INTERVAL_MS >= timeoutMs) throw neverHealthy(` within ${formatDuration(timeoutMs)}`);
    try {
      await ctx.clock.sleep(HEALTH_POLL_INTERVAL_MS, ctx.signal);
    } catch (err) {
      if (ctx.signal.aborted) throw neverHealthy();
      throw err;
    }
  }
  throw neverHealthy(` after ${maxPolls} checks`);
}
