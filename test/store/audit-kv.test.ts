import { expect, test } from 'vitest';
import { NotFoundError } from '../../src/errors.ts';
import type { ReapedAsset } from '../../src/store/index.ts';
import { describeStore } from './harness.ts';

function reaped(sweepId: number, assetId: string, reapedAt: Date, overrides: Partial<ReapedAsset> = {}): ReapedAsset {
  return { sweepId, kind: 'instance', assetId, region: 'eu-west-1', runId: 'stg4-20261120-aaaaaa', costUsd: 12.34, reapedAt, ...overrides };
}

describeStore('sweeps, reaped assets and the kv cache', (ctx) => {
  test('a sweep is recorded, then finished with its summary', async () => {
    const started = new Date('2026-11-21T06:00:00Z');
    const sweep = await ctx.store.recordSweep({ startedAt: started, dryRun: false });
    expect(sweep).toEqual({ id: expect.any(Number), startedAt: started, finishedAt: null, dryRun: false, summary: null });
    const second = await ctx.store.recordSweep({ startedAt: new Date('2026-11-22T06:00:00Z'), dryRun: true });
    expect(second.id).not.toBe(sweep.id);

    const finished = new Date('2026-11-21T06:03:00Z');
    const summary = { orphans: 3, reaped: 2, costUsd: 41.5, byKind: { instance: 1, volume: 1 } };
    expect(await ctx.store.finishSweep(sweep.id, finished, summary)).toEqual({ ...sweep, finishedAt: finished, summary });
    expect(await ctx.store.getSweep(sweep.id)).toEqual({ ...sweep, finishedAt: finished, summary });
    expect((await ctx.store.listSweeps()).map((s) => s.id)).toEqual([second.id, sweep.id]);
    expect((await ctx.store.listSweeps(1)).map((s) => s.id)).toEqual([second.id]);
    await expect(ctx.store.finishSweep(sweep.id + 1000, finished, {})).rejects.toBeInstanceOf(NotFoundError);
  });

  test('reapedSince returns real reaps since a time, oldest first, and records each once', async () => {
    const real = await ctx.store.recordSweep({ startedAt: new Date('2026-11-21T06:00:00Z'), dryRun: false });
    const dry = await ctx.store.recordSweep({ startedAt: new Date('2026-11-21T07:00:00Z'), dryRun: true });
    const early = reaped(real.id, 'i-early', new Date('2026-11-20T06:01:00Z'));
    const late = reaped(real.id, 'vol-late', new Date('2026-11-21T06:02:00Z'), { kind: 'volume', costUsd: 0.5, runId: null });
    const mid = reaped(real.id, 'i-mid', new Date('2026-11-21T06:01:00Z'));
    const rehearsed = reaped(dry.id, 'i-dry', new Date('2026-11-21T07:01:00Z'));
    for (const r of [early, late, mid, rehearsed]) expect(await ctx.store.recordReaped(r)).toBe(true);
    expect(await ctx.store.recordReaped({ ...mid, costUsd: 99 })).toBe(false);

    const since = new Date('2026-11-21T00:00:00Z');
    expect(await ctx.store.reapedSince(since)).toEqual([mid, late]);
    expect(await ctx.store.reapedSince(since, { includeDryRun: true })).toEqual([mid, late, rehearsed]);
  });

  test('kv keeps the latest JSON value with its time', async () => {
    expect(await ctx.store.kvGet('prices:eu-west-1')).toBeNull();
    const t1 = new Date('2026-11-21T06:00:00Z');
    await ctx.store.kvSet('prices:eu-west-1', { 't3.large': 0.0912, gp3: 0.088 }, t1);
    expect(await ctx.store.kvGet('prices:eu-west-1')).toEqual({ value: { 't3.large': 0.0912, gp3: 0.088 }, updatedAt: t1 });
    const t2 = new Date('2026-11-22T06:00:00Z');
    await ctx.store.kvSet('prices:eu-west-1', ['replaced'], t2);
    expect(await ctx.store.kvGet('prices:eu-west-1')).toEqual({ value: ['replaced'], updatedAt: t2 });
    expect(await ctx.store.kvDelete('prices:eu-west-1')).toBe(true);
    expect(await ctx.store.kvGet('prices:eu-west-1')).toBeNull();
    await expect(ctx.store.kvSet('bad', undefined)).rejects.toThrow(TypeError);
  });
});
