// The account allowlist in front of every run: credentials of another account create nothing.
import { describe, expect, it } from 'vitest';
import { createWorld, launchAndWait, useWorlds } from './harness.ts';

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
  });
});
