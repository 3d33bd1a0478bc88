// The dead man's switch end to end (engine, fake cloud, the real test sshd as the host): armed right
// after SSH, moved by keep and extend, shown while the run is up, moot after teardown, and, with the
// bot gone, the instance ends itself. The host's `shutdown` only records what it was asked.
import { describe, expect, it } from 'vitest';
import { TAG, formatTagTime } from '../../../src/aws/tags.ts';
import { ConflictError } from '../../../src/errors.ts';
import type { ArmSwitchOutputs, LaunchOutputs } from '../../../src/pipeline/step-outputs.ts';
import { createWorld, launchAndWait, REGION, REQUESTER, useWorlds, waitForEnd, type World } from './harness.ts';

const world = useWorlds(createWorld);
const MINUTE = 60_000;
const MARGIN = 15 * MINUTE;

async function switchOf(w: World, runId: string): Promise<ArmSwitchOutputs> {
  const step = await w.store.getStep(runId, 'arm-switch');
  expect(step?.state).toBe('succeeded');
  return step!.outputs as ArmSwitchOutputs;
}

/** `-h +MINUTES …` as the host was asked; the minutes it was given. */
function minutesOf(call: string | undefined): number {
  const m = /^-h \+(\d+) stagebot: run \S+ ends at (\S+);/.exec(call ?? '');
  if (!m) throw new Error(`not a switch call: ${call}`);
  return Number(m[1]);
}

describe("the dead man's switch", () => {
  it('is armed after SSH for expires-at plus the margin, moved when kept and extended, and shown while the run is up', async () => {
    const w = await world();
    const engine = w.engine();
    const before = (await w.fx.sshd.shutdownCalls()).length;
    const kept = await launchAndWait(engine, w.request({ keepMs: 2 * 60 * MINUTE }));
    expect(kept.state).toBe('kept');

    // The launch asked EC2 to terminate an instance that powers itself off.
    const runInstances = w.cloud.calls.find((c) => c.command === 'RunInstances');
    expect(runInstances?.input).toMatchObject({ InstanceInitiatedShutdownBehavior: 'terminate' });
    // Armed once right after wait-ssh (for the run's whole timeout plus its keep), moved once when kept.
    const steps = (await w.store.getSteps(kept.id)).map((s) => s.name);
    expect(steps.indexOf('arm-switch')).toBe(steps.indexOf('wait-ssh') + 1);
    const calls = (await w.fx.sshd.shutdownCalls()).slice(before);
    expect(calls).toHaveLength(2);
    expect(minutesOf(calls[0])).toBe(3 * 60 + 2 * 60 + 15);
    expect(minutesOf(calls[1])).toBe(2 * 60 + 15);
    const armed = await switchOf(w, kept.id);
    // Whole minutes, never earlier than promised.
    const late = Date.parse(armed.firesAt) - (kept.expiresAt!.getTime() + MARGIN);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(MINUTE);
    expect((await engine.summarize(kept)).deadManSwitch).toEqual({ firesAt: armed.firesAt });

    const extended = await engine.extend(kept.id, 60 * MINUTE, REQUESTER);
    const moved = await switchOf(w, kept.id);
    expect(minutesOf((await w.fx.sshd.shutdownCalls()).at(-1))).toBe(3 * 60 + 15);
    expect(Date.parse(moved.firesAt) - (extended.expiresAt!.getTime() + MARGIN)).toBeGreaterThanOrEqual(0);
    expect((await engine.summarize(extended)).deadManSwitch).toEqual({ firesAt: moved.firesAt });

    // Teardown makes it moot: no longer shown, nothing more asked of the host.
    const afterExtend = (await w.fx.sshd.shutdownCalls()).length;
    await engine.teardown(kept.id, REQUESTER);
    const done = await waitForEnd(engine, kept.id);
    expect(done.state).toBe('succeeded');
    expect((await engine.summarize(done)).deadManSwitch).toBeNull();
    expect(await w.fx.sshd.shutdownCalls()).toHaveLength(afterExtend);
  });

  it('an extend the host cannot follow is refused, and nothing moves', async () => {
    const w = await world();
    const engine = w.engine();
    const kept = await launchAndWait(engine, w.request({ keepMs: 60 * MINUTE }));
    const armed = await switchOf(w, kept.id);
    const instanceId = ((await w.store.getStep(kept.id, 'launch'))!.outputs as LaunchOutputs).instanceId;
    await w.fx.sshd.failShutdown('sudo: a password is required');
    try {
      const error = await engine.extend(kept.id, 60 * MINUTE, REQUESTER).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as Error).message).toContain(`its host still powers off at ${armed.firesAt}`);
    } finally {
      await w.fx.sshd.failShutdown(null);
    }
    const still = (await w.store.getRun(kept.id))!;
    expect(still.expiresAt).toEqual(kept.expiresAt);
    expect(w.cloud.tagsOf(instanceId)![TAG.expiresAt]).toBe(formatTagTime(kept.expiresAt!));
    expect(await switchOf(w, kept.id)).toEqual(armed);
  });

  it('with stagebot gone, the host powering itself off terminates the instance', async () => {
    const w = await world();
    const engine = w.engine();
    const kept = await launchAndWait(engine, w.request({ keepMs: 60 * MINUTE }));
    const instanceId = ((await w.store.getStep(kept.id, 'launch'))!.outputs as LaunchOutputs).instanceId;
    // The bot and its sweeper die; nothing of stagebot runs any more.
    engine.abandon();

    // The time the host was given comes: its shutdown powers it off, and EC2 does what the launch asked.
    expect(w.cloud.guestShutdown(REGION, instanceId)).toBe('shutting-down');
    w.cloud.settle();
    expect(w.cloud.region(REGION).instances.get(instanceId)?.state).toBe('terminated');
    expect(w.live(kept.id).filter((a) => a.kind === 'instance' || a.kind === 'volume')).toEqual([]);
  });

  it('an environment with the switch off launches as before and arms nothing', async () => {
    const w = await world({ configure: (c) => void (c.environments.stg1!.deadManSwitch.enabled = false) });
    const engine = w.engine();
    const before = (await w.fx.sshd.shutdownCalls()).length;
    const run = await launchAndWait(engine, w.request());
    expect(run.state).toBe('succeeded');
    expect((await w.store.getStep(run.id, 'arm-switch'))?.state).toBe('skipped');
    expect(w.cloud.calls.find((c) => c.command === 'RunInstances')?.input).not.toHaveProperty('InstanceInitiatedShutdownBehavior');
    expect(await w.fx.sshd.shutdownCalls()).toHaveLength(before);
  });
});
