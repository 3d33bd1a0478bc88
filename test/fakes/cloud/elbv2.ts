// ALB target groups. A registered target is `initial` for a few polls (or some fake time), then `healthy`
// (or `unhealthy`, when the test says so); a deregistered one `draining`, then gone. A target whose
// instance stopped or terminated shows `unused` / Target.InvalidState and stays listed until deregistered.

import type {
  DeregisterTargetsInput,
  DescribeTargetGroupsInput,
  DescribeTargetGroupsOutput,
  DescribeTargetHealthInput,
  DescribeTargetHealthOutput,
  RegisterTargetsInput,
  TargetGroup,
  TargetHealth,
  TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Ctx } from './context.ts';
import { awsError } from './errors.ts';
import type { FakeTarget, FakeTargetGroup } from './model.ts';
import { paginate } from './paginate.ts';

const elbError = (code: string, message: string) => awsError('elbv2', code, message);

function requireGroup(ctx: Ctx, arn: string | undefined): FakeTargetGroup {
  const tg = arn ? ctx.region.targetGroups.get(arn) : undefined;
  if (!tg) throw elbError('TargetGroupNotFound', 'One or more target groups not found');
  return tg;
}

const keyOf = (id: string, port: number) => `${id}:${port}`;

function renderGroup(tg: FakeTargetGroup): TargetGroup {
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol as TargetGroup['Protocol'],
    Port: tg.port,
    VpcId: tg.vpcId,
    TargetType: 'instance',
    HealthCheckProtocol: tg.protocol as TargetGroup['Protocol'],
    HealthCheckPort: 'traffic-port',
    HealthCheckPath: '/',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: 30,
    HealthCheckTimeoutSeconds: 5,
    HealthyThresholdCount: 5,
    UnhealthyThresholdCount: 2,
    Matcher: { HttpCode: '200' },
    LoadBalancerArns: [],
    IpAddressType: 'ipv4',
    ProtocolVersion: 'HTTP1',
  };
}

export function describeTargetGroups(ctx: Ctx, input: DescribeTargetGroupsInput): DescribeTargetGroupsOutput {
  let groups = [...ctx.region.targetGroups.values()];
  if (input.TargetGroupArns?.length) {
    if (input.TargetGroupArns.some((a) => !ctx.region.targetGroups.has(a))) throw elbError('TargetGroupNotFound', 'One or more target groups not found');
    groups = groups.filter((g) => input.TargetGroupArns?.includes(g.arn));
  }
  if (input.Names?.length) {
    if (input.Names.some((n) => !groups.some((g) => g.name === n))) throw elbError('TargetGroupNotFound', 'One or more target groups not found');
    groups = groups.filter((g) => input.Names?.includes(g.name));
  }
  const page = paginate(groups, (g) => g.arn, input.PageSize, input.Marker, {
    op: 'DescribeTargetGroups', service: 'elbv2', min: 1, max: 400, defaultSize: 400, param: 'PageSize', errorCode: 'ValidationError',
  });
  return { TargetGroups: page.items.map(renderGroup), ...(page.nextToken ? { NextMarker: page.nextToken } : {}) };
}

export function registerTargets(ctx: Ctx, input: RegisterTargetsInput): object {
  const tg = requireGroup(ctx, input.TargetGroupArn);
  const targets = input.Targets ?? [];
  for (const t of targets) {
    const id = t.Id ?? '';
    const inst = ctx.region.instances.get(id);
    if (!inst) throw elbError('InvalidTarget', `Instance ID '${id}' is not valid`);
    if (inst.state !== 'running') throw elbError('InvalidTarget', `The following targets are not in a running state and cannot be registered: '${id}'`);
    if (inst.vpcId !== tg.vpcId) throw elbError('InvalidTarget', `The following targets are not in the target group VPC '${tg.vpcId}': '${id}'`);
  }
  for (const t of targets) {
    const port = t.Port ?? tg.port;
    const key = keyOf(t.Id ?? '', port);
    const existing = tg.targets.get(key);
    if (existing && existing.phase !== 'draining') continue;
    tg.targets.set(key, { id: t.Id ?? '', port, phase: 'initial', polls: 0, since: ctx.now, forced: null });
  }
  return {};
}

export function deregisterTargets(ctx: Ctx, input: DeregisterTargetsInput): object {
  const tg = requireGroup(ctx, input.TargetGroupArn);
  // Deregistering a target that is not registered succeeds (documented AWS behaviour).
  for (const t of input.Targets ?? []) {
    const target = tg.targets.get(keyOf(t.Id ?? '', t.Port ?? tg.port));
    if (!target || target.phase === 'draining') continue;
    Object.assign(target, { phase: 'draining', polls: 0, since: ctx.now, forced: null } satisfies Partial<FakeTarget>);
  }
  return {};
}

/** Moves the target along its lifecycle; null once it has finished draining (and is removed). */
function advance(ctx: Ctx, tg: FakeTargetGroup, key: string, t: FakeTarget): TargetHealth | null {
  if (t.phase === 'draining' && (t.polls >= tg.drainPolls || ctx.now - t.since >= tg.deregistrationDelayMs)) {
    tg.targets.delete(key);
    return null;
  }
  t.polls++;
  if (t.forced) return { State: t.forced.state as TargetHealth['State'], Reason: t.forced.reason as TargetHealth['Reason'], Description: t.forced.description };
  if (t.phase === 'draining') return { State: 'draining', Reason: 'Target.DeregistrationInProgress', Description: 'Target deregistration is in progress' };
  const inst = ctx.region.instances.get(t.id);
  if (!inst || inst.state !== 'running') {
    return { State: 'unused', Reason: 'Target.InvalidState', Description: 'Target is in the stopped or terminated state' };
  }
  if (t.phase === 'initial' && (t.polls > tg.healthyAfterPolls || ctx.now - t.since >= tg.healthyAfterMs)) {
    Object.assign(t, { phase: tg.unhealthy ? 'unhealthy' : 'healthy', polls: 1, since: ctx.now } satisfies Partial<FakeTarget>);
  }
  if (t.phase === 'initial') {
    return t.polls === 1
      ? { State: 'initial', Reason: 'Elb.RegistrationInProgress', Description: 'Target registration is in progress' }
      : { State: 'initial', Reason: 'Elb.InitialHealthChecking', Description: 'Initial health checks in progress' };
  }
  if (t.phase === 'unhealthy') return { State: 'unhealthy', Reason: tg.unhealthy?.reason as TargetHealth['Reason'], Description: tg.unhealthy?.description };
  return { State: 'healthy' };
}

export function describeTargetHealth(ctx: Ctx, input: DescribeTargetHealthInput): DescribeTargetHealthOutput {
  const tg = requireGroup(ctx, input.TargetGroupArn);
  const describe = (key: string, t: FakeTarget): TargetHealthDescription[] => {
    const health = advance(ctx, tg, key, t);
    return health ? [{ Target: { Id: t.id, Port: t.port }, HealthCheckPort: String(t.port), TargetHealth: health }] : [];
  };
  if (input.Targets?.length) {
    return {
      TargetHealthDescriptions: input.Targets.flatMap((req) => {
        const port = req.Port ?? tg.port;
        const key = keyOf(req.Id ?? '', port);
        const t = tg.targets.get(key);
        const found = t ? describe(key, t) : [];
        return found.length > 0
          ? found
          : [{ Target: { Id: req.Id, Port: port }, TargetHealth: { State: 'unused', Reason: 'Target.NotRegistered', Description: 'Target is not registered to the target group' } }];
      }),
    };
  }
  return { TargetHealthDescriptions: [...tg.targets].flatMap(([key, t]) => describe(key, t)) };
}
