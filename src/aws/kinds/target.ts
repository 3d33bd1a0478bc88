// ALB targets: the run's instance registered in its environment's target group. A target carries no
// tags: it is ours to clean because its target group is configured, and an orphan when the instance
// it points at is gone. Its sweeper mark lives in the store.
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Instance } from '@aws-sdk/client-ec2';
import type { AwsCalls } from '../calls.ts';
import { isNotFound } from '../errors.ts';
import { readTags } from '../tags.ts';
import { WaitTimeoutError, waitForTargetHealth } from '../waiters.ts';
import { parseTargetAssetId, targetAssetId } from '../../domain/asset.ts';
import { instancesById } from './instance.ts';
import { itemsOf, startedOf, type TeardownFindings, type TeardownScope, type TeardownTally } from './teardown-types.ts';
import type { AssetKindDescriptor, FoundAsset } from './types.ts';

/** How long teardown waits for deregistered targets to finish draining (at most a quarter of the step's time). */
const DRAIN_WAIT_MS = 5 * 60_000;

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

// ---- teardown -----------------------------------------------------------------------------------

/** What deregistering a target needs (kept under `id|port`: one instance may serve on two ports). */
interface FoundTarget {
  targetGroupArn: string;
  instanceId: string;
  port: number | undefined;
}

async function findTargets(s: TeardownScope, f: TeardownFindings, arn: string, recordedTargets: readonly string[]): Promise<void> {
  let registered: FoundTarget[] = [];
  try {
    const out = await s.call(() => s.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }), { abortSignal: s.signal }));
    registered = (out.TargetHealthDescriptions ?? []).flatMap((d) =>
      // A draining target is already on its way out.
      d.Target?.Id && f.runInstances.has(d.Target.Id) && d.TargetHealth?.State !== 'draining'
        ? [{ targetGroupArn: arn, instanceId: d.Target.Id, port: d.Target.Port }]
        : [],
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const targets = itemsOf<FoundTarget>(f, 'target');
  for (const t of registered) targets.set(`${targetAssetId(t.targetGroupArn, t.instanceId)}|${t.port ?? ''}`, t);
  for (const id of recordedTargets) {
    const target = parseTargetAssetId(id);
    if (target?.targetGroupArn === arn && !registered.some((t) => t.instanceId === target.instanceId)) f.gone.push({ kind: 'target', id });
  }
}

/** The run's instances registered in the environment's target group and in the recorded targets' groups. */
async function recordedTargets(s: TeardownScope, f: TeardownFindings): Promise<void> {
  const recorded = s.recorded.filter((a) => a.kind === 'target').map((a) => a.id);
  const arns = new Set([...s.targetGroupArns, ...recorded.map((id) => parseTargetAssetId(id)?.targetGroupArn ?? '')].filter(Boolean));
  for (const arn of arns) await s.attempt(`target (in ${arn})`, () => findTargets(s, f, arn, recorded));
}

async function deregister(s: TeardownScope, f: TeardownFindings, tally: TeardownTally): Promise<void> {
  const draining = startedOf(f, 'target');
  for (const [key, t] of itemsOf<FoundTarget>(f, 'target')) {
    const id = targetAssetId(t.targetGroupArn, t.instanceId);
    await tally.each('target', id, async () => {
      try {
        await s.call(() => s.elb.send(new DeregisterTargetsCommand({ TargetGroupArn: t.targetGroupArn, Targets: [{ Id: t.instanceId, Port: t.port }] })));
        draining.push(key);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        await tally.done('target', id, 'gone');
      }
    });
  }
}

/**
 * A deregistered target stays listed while it drains. Its instance is gone by now, so draining ends soon;
 * one still draining when the wait ends is counted done all the same: deregistration cannot be undone.
 */
async function confirmDrained(s: TeardownScope, f: TeardownFindings, tally: TeardownTally): Promise<void> {
  const waitMs = Math.min(DRAIN_WAIT_MS, s.stepTimeoutMs / 4);
  const targets = itemsOf<FoundTarget>(f, 'target');
  for (const key of startedOf(f, 'target')) {
    const t = targets.get(key)!;
    const id = targetAssetId(t.targetGroupArn, t.instanceId);
    await tally.each('target', id, async () => {
      try {
        await waitForTargetHealth(s.elb, t.targetGroupArn, { Id: t.instanceId, Port: t.port }, 'gone', { timeoutMs: waitMs, signal: s.signal, sleep: s.sleep, now: s.now });
      } catch (err) {
        if (!(err instanceof WaitTimeoutError) && !isNotFound(err)) throw err;
        s.log(`target ${t.instanceId} is still draining from ${t.targetGroupArn.split(':').pop() ?? t.targetGroupArn}; it leaves by itself`);
      }
      await tally.done('target', id, 'deleted');
    });
  }
}

export const target: AssetKindDescriptor<'target'> = {
  kind: 'target',
  singular: 'ALB target',
  plural: 'ALB targets',
  ec2ResourceType: null,
  createdBy: null,
  marks: 'store',
  // Its id starts with its target group's ARN: arn:aws:elasticloadbalancing:<region>:...
  markRegion: (id) => (id.startsWith('arn:') ? (id.split(':')[3] ?? null) : null),
  retagOnKeep: false,
  rule: 'target',
  iam: {
    read: ['elasticloadbalancing:DescribeTargetHealth', 'ec2:DescribeInstances'],
    create: ['elasticloadbalancing:RegisterTargets'],
    remove: ['elasticloadbalancing:DeregisterTargets'],
  },
  leftBehind: (a) => `target ${a.extra.instanceId ?? ''} left behind`,
  shortId(id) {
    const t = parseTargetAssetId(id);
    if (!t) return id;
    return `${t.targetGroupArn.split('/')[1] ?? t.targetGroupArn}|${t.instanceId}`;
  },
  reap: {
    async recheck(scope, due) {
      const fresh: FoundAsset[] = [];
      const byGroup = new Map<string, FoundAsset[]>();
      for (const d of due) byGroup.set(d.extra.targetGroupArn ?? '', [...(byGroup.get(d.extra.targetGroupArn ?? '') ?? []), d]);
      for (const [arn, list] of byGroup) {
        const env = list[0]?.extra.env ?? '';
        const targets = await registeredTargets(scope.aws.elbv2(scope.region), scope.calls, { arn, env }, list.map((d) => ({ Id: d.extra.instanceId ?? '', ...(d.extra.port !== undefined ? { Port: d.extra.port } : {}) })));
        const { found } = targets.length > 0 ? await instancesById(scope, targets.map((t) => t.instanceId)) : { found: new Map<string, Instance>() };
        for (const t of targets) fresh.push(targetAsset(scope.region, t, found.get(t.instanceId)));
      }
      return fresh;
    },
    // One DescribeTargetHealth per group, then the instances behind them.
    recheckCalls: (batches, due) => new Set(due.map((d) => d.extra.targetGroupArn)).size + batches,
    async remove(scope, a) {
      const t = { Id: a.extra.instanceId ?? '', ...(a.extra.port !== undefined ? { Port: a.extra.port } : {}) };
      await scope.calls.send((o) => scope.aws.elbv2(scope.region).send(new DeregisterTargetsCommand({ TargetGroupArn: a.extra.targetGroupArn ?? '', Targets: [t] }), o));
      return [];
    },
  },
  teardown: {
    // After the instances are known (found by tag, recorded, or behind a recorded target).
    recorded: { order: 5, run: recordedTargets },
    // Traffic first.
    start: { order: 1, run: deregister },
    // Once the instances are terminated.
    finish: { order: 2, run: confirmDrained },
  },
};
