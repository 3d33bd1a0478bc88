import { expect, test } from 'vitest';
import type { Asset } from '../../src/domain/asset.ts';
import { describeStore, newRun } from './harness.ts';

const created = new Date('2026-11-21T10:00:00Z');

function asset(runId: string, kind: Asset['kind'], id: string, minutes = 0): Asset {
  return { runId, kind, id, region: 'eu-west-1', createdAt: new Date(created.getTime() + minutes * 60_000), deletedAt: null };
}

describeStore('assets', (ctx) => {
  test('recording the same asset twice keeps one record', async () => {
    const run = await ctx.store.createRun(newRun());
    expect(await ctx.store.recordAsset(asset(run.id, 'instance', 'i-0abc'))).toBe(true);
    expect(await ctx.store.recordAsset({ ...asset(run.id, 'instance', 'i-0abc'), region: 'us-east-1' })).toBe(false);
    expect(await ctx.store.recordAsset(asset(run.id, 'volume', 'vol-0abc', 1))).toBe(true);
    expect(await ctx.store.getAssets(run.id)).toEqual([asset(run.id, 'instance', 'i-0abc'), asset(run.id, 'volume', 'vol-0abc', 1)]);
  });

  test('deleted assets keep their record with the first deletion time and leave liveAssets', async () => {
    const a = await ctx.store.createRun(newRun());
    const b = await ctx.store.createRun(newRun());
    await ctx.store.recordAsset(asset(a.id, 'instance', 'i-1', 0));
    await ctx.store.recordAsset(asset(a.id, 'security-group-rule', 'sgr-1', 1));
    await ctx.store.recordAsset(asset(b.id, 'key-pair', 'key-1', 2));
    const gone = new Date('2026-11-21T11:00:00Z');

    expect(await ctx.store.markAssetDeleted('instance', 'i-1', gone)).toBe(1);
    expect(await ctx.store.markAssetDeleted('instance', 'i-1', new Date('2026-11-21T12:00:00Z'))).toBe(0);
    expect(await ctx.store.markAssetDeleted('volume', 'i-1', gone)).toBe(0);

    expect((await ctx.store.getAssets(a.id))[0]!.deletedAt).toEqual(gone);
    expect((await ctx.store.liveAssets()).map((x) => [x.runId, x.id])).toEqual([
      [a.id, 'sgr-1'],
      [b.id, 'key-1'],
    ]);
  });

  test('moveAssets hands the live records of some kinds to another run (a claimed warm member), once', async () => {
    const member = await ctx.store.createRun(newRun());
    const claimer = await ctx.store.createRun(newRun());
    await ctx.store.recordAsset(asset(member.id, 'instance', 'i-1', 0));
    await ctx.store.recordAsset(asset(member.id, 'volume', 'vol-1', 1));
    await ctx.store.recordAsset(asset(member.id, 'security-group-rule', 'sgr-1', 2));
    await ctx.store.recordAsset(asset(member.id, 'key-pair', 'key-1', 3));
    await ctx.store.markAssetDeleted('key-pair', 'key-1', new Date('2026-11-21T11:00:00Z'));
    await ctx.store.recordAsset(asset(member.id, 'network-interface', 'eni-1', 4));
    await ctx.store.markAssetDeleted('network-interface', 'eni-1', new Date('2026-11-21T11:00:00Z'));

    expect(await ctx.store.moveAssets(member.id, claimer.id, ['instance', 'volume', 'network-interface', 'key-pair'])).toBe(2);
    expect((await ctx.store.getAssets(claimer.id)).map((a) => a.id)).toEqual(['i-1', 'vol-1']);
    // What was deleted, or of another kind, stays with its run.
    expect((await ctx.store.getAssets(member.id)).map((a) => a.id).sort()).toEqual(['eni-1', 'key-1', 'sgr-1']);
    expect(await ctx.store.moveAssets(member.id, claimer.id, ['instance', 'volume'])).toBe(0);
    expect(await ctx.store.moveAssets(member.id, claimer.id, [])).toBe(0);
  });
});
