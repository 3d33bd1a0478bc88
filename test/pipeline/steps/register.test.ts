import { afterEach, describe, expect, test } from 'vitest';
import { launchStep } from '../../../src/pipeline/steps/launch.ts';
import type { LaunchOutputs, RegisterOutputs } from '../../../src/pipeline/step-outputs.ts';
import { HEALTH_POLL_INTERVAL_MS, TargetNeverHealthyError, registerStep } from '../../../src/pipeline/steps/register.ts';
import { StepFailed, StepTimedOut } from '../../../src/pipeline/run-errors.ts';
import { TAG } from '../../../src/aws/tags.ts';
import { createTestRun, type TestRun } from '../support/run-context.ts';
import { expectedRunTags } from '../support/run-tags.ts';

let t: TestRun;
afterEach(async () => t?.close());

const UNHEALTHY = { reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [502]' };

async function launched(opts: Parameters<typeof createTestRun>[0] = {}): Promise<{ run: TestRun; instanceId: string }> {
  const run = await createTestRun(opts);
  const out = (await run.runStep(launchStep)).outputs as LaunchOutputs;
  run.clock.sleeps.length = 0;
  return { run, instanceId: out.instanceId };
}

/**
 * A launched run whose target never turns healthy, and a signal that aborts with StepTimedOut on the
 * sixth health poll, as the step runner's timer would.
 */
async function unhealthyUntilTimedOut(): Promise<{ run: TestRun; instanceId: string; signal: AbortSignal }> {
  const l = await launched();
  l.run.cloud.setTargetGroupBehaviour(l.run.env.targetGroupArn, { unhealthy: UNHEALTHY });
  const abort = new AbortController();
  l.run.clock.onSleep = (_ms, n) => {
    if (n === 6) abort.abort(new StepTimedOut('register', 600_000));
  };
  return { ...l, signal: abort.signal };
}

function targetsOf(run: TestRun) {
  return [...(run.cloud.region(run.env.region).targetGroups.get(run.env.targetGroupArn)?.targets.values() ?? [])];
}

describe('register', () => {
  test('deregisters every other target first, registers the instance, and waits until it is healthy', async () => {
    const l = await launched();
    t = l.run;
    const arn = t.env.targetGroupArn;
    const region = t.env.region;
    const previous = [t.cloud.addInstance({ region }), t.cloud.addInstance({ region })];
    for (const id of previous) t.cloud.registerTarget(arn, id);
    t.cloud.resetCalls();

    const out = (await t.runStep(registerStep)).outputs as RegisterOutputs;

    expect(out.targetGroupArn).toBe(arn);
    expect(out.deregistered.sort()).toEqual([...previous].sort());
    const order = t.cloud.calls.map((c) => c.command).filter((c) => c === 'DeregisterTargets' || c === 'RegisterTargets');
    expect(order).toEqual(['DeregisterTargets', 'RegisterTargets']);
    const targets = targetsOf(t);
    expect(targets.find((x) => x.id === l.instanceId)?.phase).toBe('healthy');
    for (const id of previous) expect(targets.find((x) => x.id === id)?.phase ?? 'gone').not.toBe('healthy');
    // It polled while the target was still in its initial checks, 10 s apart.
    expect(t.clock.sleeps.length).toBeGreaterThan(0);
    expect(new Set(t.clock.sleeps)).toEqual(new Set([HEALTH_POLL_INTERVAL_MS]));
    expect(out.healthPolls).toBe(t.clock.sleeps.length + 1);
    const recorded = (await t.store.getAssets(t.runId)).filter((a) => a.kind === 'target').map((a) => a.id);
    expect(recorded).toEqual([`${arn}|${l.instanceId}`]);
  });

  test('nothing else registered: nothing deregistered', async () => {
    const l = await launched();
    t = l.run;
    const out = (await t.runStep(registerStep)).outputs as RegisterOutputs;
    expect(out.deregistered).toEqual([]);
    expect(t.cloud.callCount('DeregisterTargets')).toBe(0);
    expect(t.eventsOf('step.warning')).toEqual([]);
  });

  test('tells the person whose targets it took off the load balancer: an earlier run\'s, and an instance stagebot did not launch', async () => {
    const l = await launched();
    t = l.run;
    const arn = t.env.targetGroupArn;
    const region = t.env.region;
    const legacy = t.cloud.addInstance({ region, tags: { Name: 'legacy-web' } });
    const earlier = t.cloud.addInstance({ region, tags: { ...expectedRunTags(t), [TAG.assetId]: 'stg1-20200101-abcdef', [TAG.requestedBy]: 'slack:U0EARLIER' } });
    for (const id of [legacy, earlier]) t.cloud.registerTarget(arn, id);

    await t.runStep(registerStep);

    const [warning, ...more] = t.eventsOf('step.warning');
    expect(more).toEqual([]);
    expect(warning?.step).toBe('register');
    expect(warning?.message).toContain(`${legacy} (not launched by stagebot: legacy-web)`);
    expect(warning?.message).toContain(`${earlier} (run stg1-20200101-abcdef of slack:U0EARLIER)`);
    expect(warning?.message).toMatch(new RegExp(`from \\S+, so that only ${l.instanceId} serves stg1$`));
  });

  test('a target that stays unhealthy fails the step when its time is up, with the load balancer’s reason', async () => {
    const l = await launched({ configure: (c) => void (c.runs.stepTimeouts.register = 60_000) });
    t = l.run;
    t.cloud.setTargetGroupBehaviour(t.env.targetGroupArn, { unhealthy: UNHEALTHY });

    const err = await t.runStep(registerStep).catch((e: unknown) => e);
    const line = `target ${l.instanceId} never became healthy within 1m: Target.ResponseCodeMismatch — Health checks failed with these codes: [502]`;
    expect(err).toBeInstanceOf(StepFailed);
    expect((err as Error).message).toBe(`register failed: ${line}`);
    expect(t.eventsOf('step.failed')[0]?.error).toBe(line);
    // It kept polling while unhealthy, and stopped within the step's time.
    expect(t.cloud.callCount('DescribeTargetHealth')).toBeGreaterThan(3);
    expect(t.clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThan(60_000);
  });

  test('when the step timeout aborts the wait, the error still carries the last health reason', async () => {
    const l = await unhealthyUntilTimedOut();
    t = l.run;

    const err = await t.runStep(registerStep, { signal: l.signal }).catch((e: unknown) => e);
    const reason = `target ${l.instanceId} never became healthy: Target.ResponseCodeMismatch — Health checks failed with these codes: [502]`;
    expect((err as Error).message).toBe('register failed: register took longer than runs.stepTimeouts.register (10m)');
    expect((err as StepFailed).tail).toBe(reason);
    expect(t.eventsOf('step.failed')[0]?.tail).toBe(reason);
  });

  test('called directly with an aborted signal mid-wait, it throws its own error with the reason', async () => {
    const l = await unhealthyUntilTimedOut();
    t = l.run;
    const err = await registerStep.run(t.context({ signal: l.signal })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TargetNeverHealthyError);
    expect((err as Error).message).toContain('Target.ResponseCodeMismatch — Health checks failed with these codes: [502]');
  });

  test('without a launched instance it says so', async () => {
    t = await createTestRun();
    await expect(t.runStep(registerStep)).rejects.toThrow('register needs the instance of the launch step');
  });
});
