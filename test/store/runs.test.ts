import { expect, test } from 'vitest';
import { ActiveRunExists, ConflictError, NotFoundError } from '../../src/errors.ts';
import { ACTIVE_RUN_STATES, RUN_STATES } from '../../src/domain/run.ts';
import { describeStore, newRun, race } from './harness.ts';

describeStore('runs', (ctx) => {
  test('a created run reads back with its dates, JSON options and nulls intact', async () => {
    const created = await ctx.store.createRun(
      newRun({
        id: 'stg4-20261121-a1b2c3',
        env: null,
        requester: 'github:octocat',
        source: 'github',
        options: { browsers: ['chrome', 'firefox'], keepMs: 7_200_000, ref: 'feature/x', dryRun: true },
        createdAt: new Date('2026-11-21T09:15:30.123Z'),
        expiresAt: new Date('2026-11-21T11:15:30.456Z'),
      }),
    );
    const read = await ctx.store.getRun('stg4-20261121-a1b2c3');
    expect(read).toEqual(created);
    expect(read).toEqual({
      id: 'stg4-20261121-a1b2c3',
      kind: 'launch',
      env: null,
      state: 'queued',
      requester: 'github:octocat',
      source: 'github',
      options: { browsers: ['chrome', 'firefox'], keepMs: 7_200_000, ref: 'feature/x', dryRun: true },
      createdAt: new Date('2026-11-21T09:15:30.123Z'),
      startedAt: null,
      finishedAt: null,
      expiresAt: new Date('2026-11-21T11:15:30.456Z'),
      leaseOwner: null,
      leaseHeartbeatAt: null,
      error: null,
      cancelRequestedBy: null,
    cancelReason: null,
    concurrencyKey: null,
      leaseEpoch: 0,
      handoverFrom: null,
    });
    expect(read!.createdAt).toBeInstanceOf(Date);
  });

  test('records a cancel request that the run\'s owner (maybe another replica) acts on later', async () => {
    const run = await ctx.store.createRun(newRun());
    expect(run.cancelRequestedBy).toBeNull();
    const updated = await ctx.store.updateRun(run.id, { cancelRequestedBy: 'slack:U1' });
    expect(updated.cancelRequestedBy).toBe('slack:U1');
    expect((await ctx.store.getRun(run.id))!.cancelRequestedBy).toBe('slack:U1');
    await ctx.store.updateRun(run.id, { cancelRequestedBy: null });
    expect((await ctx.store.getRun(run.id))!.cancelRequestedBy).toBeNull();
  });

  test('an unknown run is null', async () => {
    expect(await ctx.store.getRun('nope')).toBeNull();
  });

  test('creating a run id twice is a ConflictError and keeps the first', async () => {
    const run = newRun({ env: 'stg1' });
    await ctx.store.createRun(run);
    await expect(ctx.store.createRun({ ...run, env: 'stg2' })).rejects.toBeInstanceOf(ConflictError);
    expect((await ctx.store.getRun(run.id))!.env).toBe('stg1');
  });

  test('updateRun changes only the given fields, null clears, and unknown ids are NotFoundError', async () => {
    const run = await ctx.store.createRun(newRun({ expiresAt: new Date('2026-11-22T00:00:00Z') }));
    const started = new Date('2026-11-21T10:00:00.001Z');
    const updated = await ctx.store.updateRun(run.id, {
      state: 'running',
      startedAt: started,
      expiresAt: null,
      options: { browsers: ['webkit'] },
    });
    expect(updated).toEqual({ ...run, state: 'running', startedAt: started, expiresAt: null, options: { browsers: ['webkit'] } });
    expect(await ctx.store.getRun(run.id)).toEqual(updated);
    expect(await ctx.store.updateRun(run.id, {})).toEqual(updated);
    await expect(ctx.store.updateRun('missing', { error: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });

  test('listRuns filters by states, env, requester, source, since and before, newest first, with a limit', async () => {
    const t = (m: number) => new Date(Date.UTC(2026, 10, 21, 9, m));
    const a = await ctx.store.createRun(newRun({ env: 'stg1', createdAt: t(1), requester: 'slack:U1' }));
    const b = await ctx.store.createRun(newRun({ env: 'stg2', createdAt: t(2), state: 'running', requester: 'github:octocat', source: 'github' }));
    const c = await ctx.store.createRun(newRun({ env: 'stg1', createdAt: t(3), state: 'failed', requester: 'slack:U1' }));
    const ids = async (filter: Parameters<typeof ctx.store.listRuns>[0]) => (await ctx.store.listRuns(filter)).map((r) => r.id);

    expect(await ids({})).toEqual([c.id, b.id, a.id]);
    expect(await ids({ env: 'stg1' })).toEqual([c.id, a.id]);
    expect(await ids({ states: ['queued', 'running'] })).toEqual([b.id, a.id]);
    expect(await ids({ states: [] })).toEqual([]);
    expect(await ids({ requester: 'slack:U1', states: ['failed'] })).toEqual([c.id]);
    expect(await ids({ since: t(2) })).toEqual([c.id, b.id]);
    expect(await ids({ before: t(3) })).toEqual([b.id, a.id]);
    expect(await ids({ since: t(2), before: t(3) })).toEqual([b.id]);
    expect(await ids({ source: 'github' })).toEqual([b.id]);
    expect(await ids({ source: 'web' })).toEqual([]);
    expect(await ids({ limit: 2 })).toEqual([c.id, b.id]);
  });

  test('queuedRuns is first in, first out', async () => {
    const t = (s: number) => new Date(Date.UTC(2026, 10, 21, 9, 0, s));
    const late = await ctx.store.createRun(newRun({ createdAt: t(30) }));
    const early = await ctx.store.createRun(newRun({ createdAt: t(10) }));
    await ctx.store.createRun(newRun({ createdAt: t(5), state: 'running' }));
    const middle = await ctx.store.createRun(newRun({ createdAt: t(20) }));
    expect((await ctx.store.queuedRuns()).map((r) => r.id)).toEqual([early.id, middle.id, late.id]);
  });

  test('transitionRun moves a run only from the given states, applying the patch with it', async () => {
    const run = await ctx.store.createRun(newRun());
    const at = new Date('2026-11-21T10:00:00Z');
    expect(await ctx.store.transitionRun(run.id, ['running'], 'tearing_down')).toBe(false);
    expect(await ctx.store.transitionRun(run.id, ['queued'], 'running', { startedAt: at, env: 'stg9' })).toBe(true);
    expect(await ctx.store.getRun(run.id)).toMatchObject({ state: 'running', startedAt: at, env: 'stg9' });
    expect(await ctx.store.transitionRun(run.id, ['queued'], 'cancelled')).toBe(false);
    expect((await ctx.store.getRun(run.id))!.state).toBe('running');
    expect(await ctx.store.transitionRun(run.id, [], 'failed')).toBe(false);
    expect(await ctx.store.transitionRun('missing', ['queued'], 'running')).toBe(false);
  });

  test('of two replicas racing to move a run, exactly one succeeds', async () => {
    const other = await ctx.open();
    const run = await ctx.store.createRun(newRun());
    const winners = await race(20, (i) =>
      (i % 2 ? other : ctx.store).transitionRun(run.id, ['queued'], i % 3 ? 'running' : 'cancelled', { error: `actor ${i}` }),
    );
    expect(winners).toHaveLength(1);
    const after = await ctx.store.getRun(run.id);
    expect(after!.error).toBe(`actor ${winners[0]}`);
    expect(after!.state).toBe(winners[0]! % 3 ? 'running' : 'cancelled');
  });

  test('of launches racing with one concurrency key on two replicas, exactly one is saved; the others name it', async () => {
    const other = await ctx.open();
    const key = 'github:codertocat/hello-world#1:launch';
    const outcomes = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => (i % 2 ? other : ctx.store).createRun(newRun({ concurrencyKey: key }))));
    const saved = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(saved).toHaveLength(1);
    const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    expect(refusals).toHaveLength(11);
    for (const r of refusals) {
      expect(r).toBeInstanceOf(ActiveRunExists);
      expect((r as ActiveRunExists).run.id).toBe(saved[0]!.id);
    }
    expect((await ctx.store.listRuns()).map((r) => r.id)).toEqual([saved[0]!.id]);
    expect(saved[0]!.concurrencyKey).toBe(key);
  });

  test('a concurrency key is held in the active states only: tearing down or finished frees it, no key never conflicts', async () => {
    const key = 'github:acme/app#7:launch';
    const first = await ctx.store.createRun(newRun({ concurrencyKey: key }));
    await ctx.store.transitionRun(first.id, ['queued'], 'running');
    await expect(ctx.store.createRun(newRun({ concurrencyKey: key }))).rejects.toBeInstanceOf(ActiveRunExists);
    await ctx.store.transitionRun(first.id, ['running'], 'kept');
    await expect(ctx.store.createRun(newRun({ concurrencyKey: key }))).rejects.toBeInstanceOf(ActiveRunExists);
    await ctx.store.transitionRun(first.id, ['kept'], 'tearing_down');
    const second = await ctx.store.createRun(newRun({ concurrencyKey: key }));
    expect(second.state).toBe('queued');
    await ctx.store.transitionRun(second.id, ['queued'], 'cancelled');
    await ctx.store.transitionRun(first.id, ['tearing_down'], 'succeeded');
    await expect(ctx.store.createRun(newRun({ concurrencyKey: key }))).resolves.toMatchObject({ state: 'queued' });
    await expect(ctx.store.createRun(newRun({ concurrencyKey: 'github:acme/app#8:launch' }))).resolves.toMatchObject({ state: 'queued' });
    await ctx.store.createRun(newRun());
    await expect(ctx.store.createRun(newRun())).resolves.toMatchObject({ concurrencyKey: null });
    // The store's index and the domain name the same states (migration 4 spells them out in SQL).
    expect(ACTIVE_RUN_STATES.every((s) => RUN_STATES.includes(s))).toBe(true);
    expect([...ACTIVE_RUN_STATES].sort()).toEqual(['kept', 'queued', 'running']);
  });
});
