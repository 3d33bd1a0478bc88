// The account allowlist in front of every run: credentials of another account create nothing.
import { describe, expect, it, vi } from 'vitest';
import { NO_CREDENTIALS } from '../../../src/aws/errors.ts';
import { RunAbandoned } from '../../../src/pipeline/run-errors.ts';
import { createFakeAwsClients } from '../../fakes/cloud/index.ts';
import { createWorld, launchAndWait, useWorlds, waitForFinished, waitForState } from './harness.ts';

const world = useWorlds(createWorld);

describe('the account guard', () => {
  it('a run whose credentials belong to an account outside aws.accountAllowlist fails before creating anything', async () => {
    const w = await world({ configure: (c) => void (c.aws.accountAllowlist = ['999999999999']) });
    const engine = w.engine();
    const first = await launchAndWait(engine, w.request());
    expect(first.state).toBe('failed');
    expect(first.error).toContain(`AWS account ${w.cloud.accountId} is not in aws.accountAllowlist`);
    // A second run is refused the same way: a refusal is never remembered as a pass.
    const second = await launchAndWait(engine, w.request());
    expect(second.state).toBe('failed');
    expect(second.error).toContain('aws.accountAllowlist');

    const mutating = w.cloud.calls.filter((c) => !/^(Describe|Get|List)/.test(c.command)).map((c) => c.command);
    expect(mutating).toEqual([]);
    expect(w.cloud.creations).toEqual([]);
    expect(await w.store.listLocks()).toEqual([]);
    // Nothing ran, so nothing is searched for in an account the run must not touch.
    expect(w.cloud.calls.map((c) => c.command)).toEqual(['GetCallerIdentity']);
    expect(first.error).toMatch(/; nothing was created$/);
  });

  it('a run without AWS credentials fails in one line that says how to provide them and that nothing was created', async () => {
    const w = await world();
    const engine = w.engine({ aws: createFakeAwsClients(w.cloud, { credentials: 'none' }) });
    const run = await launchAndWait(engine, w.request());

    expect(run.state).toBe('failed');
    expect(run.error).toBe(`${NO_CREDENTIALS}; nothing was created`);
    // Not a single call reached AWS: the SDK could not sign one.
    expect(w.cloud.calls).toEqual([]);
    const steps = await w.store.getSteps(run.id);
    expect(steps.map((s) => `${s.name}:${s.state}`)).toEqual(['teardown:skipped']);
    expect(w.eventsOf(run.id, 'step.skipped')).toEqual([expect.objectContaining({ step: 'teardown', reason: 'nothing was created' })]);
    // A teardown that had nothing to do reports nothing (no "0 deleted, NOT deleted: ...").
    expect(w.eventsOf(run.id, 'teardown.done')).toEqual([]);
    expect(await w.store.listLocks()).toEqual([]);
  });

  it('a run adopted after its steps started is torn down even when the account check fails', async () => {
    const w = await world();
    const first = w.engine({ beforeStep: (_runId, step) => {
      if (step === 'open-ssh') throw new RunAbandoned('crash after launch');
    } });
    const { run } = await first.launch(w.request());
    await waitForState(w.store, run.id, ['running']);
    await vi.waitFor(async () => expect((await w.store.getSteps(run.id)).some((s) => s.name === 'launch' && s.state === 'succeeded')).toBe(true), { timeout: 15_000 });
    first.abandon();
    await w.store.releaseLease(run.id, first.ownerId);

    // The next engine resumes it; its credentials now belong to another account.
    w.config.runs.onAdopt = 'resume';
    const second = w.engine({ checkAccount: async () => { throw new Error('STS unreachable'); } });
    await second.tick();
    const ended = await waitForFinished(w.store, run.id);
    expect(ended.state).toBe('failed');
    expect(ended.error).not.toContain('nothing was created');
    expect((await w.store.getStep(run.id, 'teardown'))?.state).toBe('succeeded');
    expect(w.live(run.id)).toEqual([]);
  });
});
