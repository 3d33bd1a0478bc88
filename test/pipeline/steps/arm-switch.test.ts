// arm-switch and moving the switch (keep/extend), against the real test sshd: its `shutdown` only
// records what it was asked (test/support/sshd.ts), so what the host was told is observed, not assumed.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { moveSwitch } from '../../../src/pipeline/move-switch.ts';
import { StepFailed } from '../../../src/pipeline/run-errors.ts';
import { armSwitchStep, SWITCH_SCRIPT } from '../../../src/pipeline/steps/arm-switch.ts';
import type { ArmSwitchOutputs } from '../../../src/pipeline/step-outputs.ts';
import { waitSshStep } from '../../../src/pipeline/steps/wait-ssh.ts';
import { startSshd, type TestSshd } from '../../support/sshd.ts';
import type { TestRun } from '../support/run-context.ts';
import { hostTestRun, logLines, type HostRunOptions } from '../support/ssh-run-context.ts';

const MINUTE = 60_000;
let sshd: TestSshd;
const runs: TestRun[] = [];

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});
beforeEach(async () => {
  await sshd.failShutdown(null);
});
afterEach(async () => {
  for (const t of runs.splice(0)) await t.close();
});

/** A run whose host is the test sshd, with wait-ssh done (the host key pinned). */
async function connected(opts: HostRunOptions = {}): Promise<TestRun> {
  const t = await hostTestRun({ sshd, ...opts });
  runs.push(t);
  await t.runStep(waitSshStep);
  return t;
}

/** What the host's shutdown was asked since the sshd started, from the `skip`th call on. */
async function callsSince(skip: number): Promise<string[]> {
  return (await sshd.shutdownCalls()).slice(skip);
}

function switchServices(t: TestRun) {
  return { store: t.store, config: t.config, clock: t.clock, logger: silentLogger(), emitLog: (_runId: string, _step: string, line: string) => t.logs.push({ step: 'arm-switch', line }) };
}

describe('arm-switch', () => {
  it("tells the host to power off at the run's expires-at plus the margin, in whole minutes, and says so", async () => {
    const t = await connected();
    const before = (await sshd.shutdownCalls()).length;
    const outputs = (await t.runStep(armSwitchStep)).outputs as ArmSwitchOutputs;

    // expires-at is 3 h (runs.timeout) from the run's start; the margin 15 m.
    const minutes = (3 * 60) + 15;
    const firesAt = new Date(t.clock.now().getTime() + minutes * MINUTE).toISOString();
    expect(outputs).toEqual({ firesAt, armedAt: t.clock.now().toISOString() });
    expect(await callsSince(before)).toEqual([`-h +${minutes} stagebot: run ${t.runId} ends at ${firesAt}; this host powers off and terminates`]);
    expect(logLines(t)).toContain(`dead man's switch armed: 127.0.0.1:${sshd.port} powers off at ${firesAt} unless stagebot moves it`);
    expect((await t.store.getStep(t.runId, 'arm-switch'))).toMatchObject({ state: 'succeeded', outputs });
  });

  it('is skipped, telling the host nothing, when the environment turns it off', async () => {
    const t = await connected({ configure: (c) => void (c.environments.stg3!.deadManSwitch.enabled = false) });
    const before = (await sshd.shutdownCalls()).length;
    const result = await t.runStep(armSwitchStep);
    expect(result.skipped).toBe('deadManSwitch.enabled is false for stg3');
    expect(await callsSince(before)).toEqual([]);
  });

  it('fails the step, saying what the host answered and how to fix or turn it off, when shutdown is refused', async () => {
    const t = await connected();
    await sshd.failShutdown('sudo: a password is required');
    const error = await t.runStep(armSwitchStep).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepFailed);
    expect((error as Error).message).toBe(
      `arm-switch failed: could not arm the dead man's switch on 127.0.0.1:${sshd.port}: shutdown exit code 1 (sudo: a password is required); ` +
        `${sshd.username} needs passwordless sudo for shutdown, or set environments.stg3.deadManSwitch.enabled: false`,
    );
    expect(t.eventsOf('step.failed')[0]?.tail).toContain('sudo: a password is required');
  });

  it('passes its values only as environment variables: the script never changes', async () => {
    const canary = mkdtempSync(join(tmpdir(), 'stagebot-canary-'));
    try {
      const runId = `stg3-$(touch ${canary}/touched)`;
      // A run id is never user text, but the script must not care.
      const t = await connected({ runId });
      const before = (await sshd.shutdownCalls()).length;
      await t.runStep(armSwitchStep);
      expect((await callsSince(before))[0]).toContain(`stagebot: run ${runId} ends at`);
      expect(existsSync(join(canary, 'touched'))).toBe(false);
      expect(SWITCH_SCRIPT).not.toMatch(/stg3|\d{4}-\d{2}-\d{2}/);
    } finally {
      rmSync(canary, { recursive: true, force: true });
    }
  });
});

describe('moveSwitch (keep, extend)', () => {
  async function armed(opts: HostRunOptions = {}): Promise<{ t: TestRun; outputs: ArmSwitchOutputs }> {
    const t = await connected(opts);
    const outputs = (await t.runStep(armSwitchStep)).outputs as ArmSwitchOutputs;
    return { t, outputs };
  }

  it('moves a later time onto the host and into the step record', async () => {
    const { t, outputs } = await armed();
    const before = (await sshd.shutdownCalls()).length;
    const until = new Date(Date.parse(outputs.firesAt) + 2 * 60 * MINUTE);
    await moveSwitch(switchServices(t), t.run, until, t.secrets, new AbortController().signal);

    const minutes = Math.ceil((until.getTime() + 15 * MINUTE - t.clock.now().getTime()) / MINUTE);
    const firesAt = new Date(t.clock.now().getTime() + minutes * MINUTE).toISOString();
    expect(await callsSince(before)).toEqual([expect.stringMatching(new RegExp(`^-h \\+${minutes} stagebot: run ${t.runId} ends at ${firesAt};`))]);
    expect((await t.store.getStep(t.runId, 'arm-switch'))?.outputs).toMatchObject({ firesAt });
  });

  it('refuses a later time it cannot set, naming when the host still powers off', async () => {
    const { t, outputs } = await armed();
    await sshd.failShutdown('sudo: a password is required');
    const until = new Date(Date.parse(outputs.firesAt) + 60 * MINUTE);
    const error = await moveSwitch(switchServices(t), t.run, until, t.secrets, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toMatch(new RegExp(`^could not move the dead man's switch of run ${t.runId}: could not arm .*sudo: a password is required.*; its host still powers off at ${outputs.firesAt}$`));
    expect((await t.store.getStep(t.runId, 'arm-switch'))?.outputs).toEqual(outputs);
  });

  it('lets an earlier time it cannot set go: the host stays up at least as long as promised', async () => {
    const { t, outputs } = await armed();
    await sshd.failShutdown('connection reset');
    await moveSwitch(switchServices(t), t.run, new Date(t.clock.now().getTime() + 30 * MINUTE), t.secrets, new AbortController().signal);
    expect((await t.store.getStep(t.runId, 'arm-switch'))?.outputs).toEqual(outputs);
  });

  it('cannot move the switch of an ephemeral-key run from another process, and says why', async () => {
    const { t, outputs } = await armed();
    const launch = { runId: t.runId, name: 'launch', state: 'succeeded' as const, startedAt: t.clock.now(), finishedAt: t.clock.now(), error: null };
    await t.store.upsertStep({ ...launch, outputs: { ...t.outputs.get('launch'), ephemeralKey: true } });
    const error = await moveSwitch(switchServices(t), t.run, new Date(Date.parse(outputs.firesAt) + 60 * MINUTE), new Map(), new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toContain('its ephemeral SSH key lived only in the process that launched it, which is gone');
  });

  it('does nothing for a run whose switch was never armed', async () => {
    const t = await connected({ configure: (c) => void (c.environments.stg3!.deadManSwitch.enabled = false) });
    await t.runStep(armSwitchStep);
    const before = (await sshd.shutdownCalls()).length;
    await moveSwitch(switchServices(t), t.run, new Date(t.clock.now().getTime() + 99 * 60 * MINUTE), t.secrets, new AbortController().signal);
    expect(await callsSince(before)).toEqual([]);
  });
});
