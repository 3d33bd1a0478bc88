// Bounded polling for the two things a run waits on: an instance's state and a target's health.
// Our own loop rather than the SDK's waiters so that `sleep` and the clock can be injected: tests drive
// the fake cloud's clock instead of waiting wall-clock seconds, and every wait has a hard iteration bound.

import { DescribeInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type TargetDescription,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { abortableSleep } from '../domain/clock.ts';
import { formatDuration } from '../domain/duration.ts';
import { UserError } from '../errors.ts';
import { isNotFound, isThrottle } from './errors.ts';

export interface WaitOptions {
  timeoutMs: number;
  /** Pause between polls. Defaults: 5 s for instances, 10 s for target health (the ALB checks every 5-30 s). */
  intervalMs?: number;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export class WaitTimeoutError extends UserError {
  override readonly name = 'WaitTimeoutError';
}

/** The instance reached a state it does not come back from while we waited for another. */
export class InstanceStateError extends UserError {
  override readonly name = 'InstanceStateError';
}

type Poll<T> = { done: true; value: T } | { done: false; last: string };


async function poll<T>(what: string, opts: WaitOptions, defaultIntervalMs: number, check: () => Promise<Poll<T>>): Promise<T> {
  const interval = Math.max(1, opts.intervalMs ?? defaultIntervalMs);
  const sleep = opts.sleep ?? abortableSleep;
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.timeoutMs;
  // The clock bounds the wait; the count bounds it too when an injected sleep does not move the clock.
  const maxPolls = Math.ceil(opts.timeoutMs / interval) + 2;
  let last = 'not checked yet';
  for (let i = 0; i < maxPolls; i++) {
    opts.signal?.throwIfAborted();
    try {
      const result = await check();
      if (result.done) return result.value;
      last = result.last;
    } catch (err) {
      // Throttled even after the SDK's retries: the state is unknown this round, not an error.
      if (!isThrottle(err)) throw err;
      last = 'throttled';
    }
    const left = deadline - now();
    if (left <= 0) break;
    await sleep(Math.min(interval, left), opts.signal);
  }
  throw new WaitTimeoutError(`${what} within ${formatDuration(opts.timeoutMs)} (last: ${last})`);
}

const GONE_STATES = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/**
 * Until the instance is `running` (returned with its IPs) or `terminated`. Waiting for running fails fast
 * when the instance goes away instead; a NotFound right after launch is EC2's eventual consistency.
 */
export async function waitForInstanceState(
  ec2: EC2Client,
  instanceId: string,
  want: 'running' | 'terminated' | 'stopped',
  opts: WaitOptions,
): Promise<Instance | null> {
  return poll(`Instance ${instanceId} did not reach ${want}`, opts, 5_000, async () => {
    let instance: Instance | undefined;
    try {
      const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal: opts.signal });
      instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const state = instance?.State?.Name;
    if (want === 'terminated') {
      return !instance || state === 'terminated' ? { done: true, value: instance ?? null } : { done: false, last: state ?? 'unknown' };
    }
    if (state === want) return { done: true, value: instance ?? null };
    if (want === 'stopped' && (state === 'running' || state === 'stopping' || state === 'pending')) return { done: false, last: state };
    if (state && GONE_STATES.has(state)) {
      const reason = instance?.StateReason?.Message ?? instance?.StateTransitionReason;
      throw new InstanceStateError(`Instance ${instanceId} is ${state} instead of ${want}${reason ? ` (${reason})` : ''}`);
    }
    return { done: false, last: state ?? 'not visible yet' };
  });
}

function describeHealth(d: TargetHealthDescription | undefined): string {
  const h = d?.TargetHealth;
  if (!h?.State) return 'not registered';
  const why = [h.Reason, h.Description].filter(Boolean).join(': ');
  return why ? `${h.State}, ${why}` : h.State;
}

/**
 * Until the target is `healthy`, or `gone` (deregistration finished draining). An unhealthy target keeps
 * being polled until the timeout: ALB health checks recover once the services finish starting.
 */
export async function waitForTargetHealth(
  elbv2: ElasticLoadBalancingV2Client,
  targetGroupArn: string,
  target: TargetDescription,
  want: 'healthy' | 'gone',
  opts: WaitOptions,
): Promise<TargetHealthDescription | null> {
  const what = `Target ${target.Id} in ${targetGroupArn.split(':').pop() ?? targetGroupArn} did not become ${want}`;
  return poll(what, opts, 10_000, async () => {
    const out = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn, Targets: [target] }), {
      abortSignal: opts.signal,
    });
    const d = out.TargetHealthDescriptions?.find((t) => t.Target?.Id === target.Id);
    const state = d?.TargetHealth?.State;
    if (want === 'healthy' && state === 'healthy') return { done: true, value: d ?? null };
    if (want === 'gone' && (!d || (state === 'unused' && d.TargetHealth?.Reason === 'Target.NotRegistered'))) {
      return { done: true, value: null };
    }
    return { done: false, last: describeHealth(d) };
  });
}
