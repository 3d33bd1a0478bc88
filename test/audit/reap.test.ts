// Mark, then reap: nothing is deleted by the sweep that first finds an orphan; a later reap sweep past the
// grace period re-checks each asset and deletes it; limits, confirmation and the account guard.
import { beforeEach, describe, expect, test } from 'vitest';
import { TAG } from '../../src/aws/tags.ts';
import { TARGET_MARKS_KEY } from '../../src/audit/index.ts';
import { DAY, ENVS, HOUR, World, makeConfig } from './support/world.ts';

const FAILED = 'stg4-20261118-a1b2c3';
let w: World;

beforeEach(async () => {
  w = await World.create();
  await w.run(FAILED, 'failed');
});

const mutating = (w: World) => w.cloud.calls.filter((c) => !/^(Describe|Get)/.test(c.command)).map((c) => c.command);

describe('mark then reap', () => {
  test('the first sweep only marks; a reap before the grace period deletes nothing; after it, everything', async () => {
    const instance = w.instance(FAILED);
    const volume = w.volume(FAILED);
    const rule = w.rule(FAILED);

    const first = await w.sweep({ mode: 'reap' });
    expect(first.reaped).toEqual([]);
    expect(first.marked).toBe(3);
    expect(mutating(w)).toEqual(['CreateTags']);
    const reapAfter = new Date(w.now.getTime() + DAY).toISOString().replace('.000', '');
    for (const id of [instance, volume, rule]) expect(w.cloud.tagsOf(id)?.[TAG.reapAfter]).toBe(reapAfter);
    expect(first.orphans.every((o) => o.marked && !o.due && o.reapAfter?.getTime() === w.now.getTime() + DAY)).toBe(true);

    w.cloud.advance(DAY - HOUR);
    w.cloud.resetCalls();
    const early = await w.sweep({ mode: 'reap' });
    expect(early.reaped).toEqual([]);
    expect(early.marked).toBe(0);
    expect(mutating(w)).toEqual([]);
    expect([instance, volume, rule].every((id) => w.alive(id))).toBe(true);

    w.cloud.advance(2 * HOUR);
    w.cloud.resetCalls();
    const late = await w.sweep({ mode: 'reap' });
    expect(late.errors).toEqual([]);
    expect(late.reaped.map((x) => x.id).sort()).toEqual([instance, rule, volume].sort());
    expect([instance, volume, rule].some((id) => w.alive(id))).toBe(false);
    expect(mutating(w).sort()).toEqual(['DeleteVolume', 'RevokeSecurityGroupIngress', 'TerminateInstances']);
    // Re-checked just before: a Describe by id for each kind, after the inventory's.
    const recheck = w.cloud.calls.filter((c) => JSON.stringify(c.input).includes('"instance-id"') || JSON.stringify(c.input).includes('"volume-id"'));
    expect(recheck.map((c) => c.command).sort()).toEqual(['DescribeInstances', 'DescribeVolumes']);
    expect(late.orphans).toEqual([]);

    const recorded = await w.store.reapedSince(new Date(0));
    expect(recorded.map((x) => x.assetId).sort()).toEqual([instance, rule, volume].sort());
    const inst = recorded.find((x) => x.assetId === instance);
    expect(inst?.costUsd).toBeGreaterThan(0);
    expect(inst?.costUsd).toBeCloseTo(late.reaped.find((x) => x.id === instance)?.costUsd ?? NaN, 9);
    const sweeps = await w.store.listSweeps();
    expect(sweeps).toHaveLength(3);
    expect(sweeps[0]?.summary).toMatchObject({ reaped: 3, mode: 'reap' });
  });

  test('a dry run marks too, and never deletes, even past the grace period', async () => {
    const instance = w.instance(FAILED);
    await w.sweep();
    expect(w.cloud.tagsOf(instance)?.[TAG.reapAfter]).toBeDefined();
    w.cloud.advance(2 * DAY);
    const r = await w.sweep();
    expect(r.dueCount).toBe(1);
    expect(r.orphans[0]?.due).toBe(true);
    expect(r.reaped).toEqual([]);
    expect(w.alive(instance)).toBe(true);
    expect(w.cloud.callCount('TerminateInstances')).toBe(0);
  });

  test('an orphan protected between sweeps loses its mark and survives', async () => {
    const instance = w.instance(FAILED);
    await w.sweep();
    w.cloud.find(instance)?.resource.tags.set('stagebot:keep', 'true');
    w.cloud.advance(2 * DAY);
    const r = await w.sweep({ mode: 'reap' });
    expect(r.reaped).toEqual([]);
    expect(r.unmarked).toBe(1);
    expect(w.cloud.tagsOf(instance)?.[TAG.reapAfter]).toBeUndefined();
    expect(w.alive(instance)).toBe(true);
  });

  test('a kept run extended between sweeps takes its assets out of the sweep', async () => {
    const kept = 'stg4-20261120-77dd88';
    await w.run(kept, 'kept', { expiresAt: new Date(w.now.getTime() - HOUR) });
    const instance = w.instance(kept);
    const first = await w.sweep();
    expect(first.orphans.map((o) => o.id)).toEqual([instance]);
    await w.store.updateRun(kept, { expiresAt: new Date(w.now.getTime() + 3 * DAY) });
    w.cloud.advance(2 * DAY);
    const r = await w.sweep({ mode: 'reap' });
    expect(r.orphans).toEqual([]);
    expect(r.unmarked).toBe(1);
    expect(w.alive(instance)).toBe(true);
  });

  test('the re-check just before deleting sees a protect tag added after the inventory', async () => {
    const instance = w.instance(FAILED);
    await w.sweep();
    w.cloud.advance(2 * DAY);
    // Someone protects the instance while the sweep runs: between its inventory and its delete.
    w.cloud.failNext('DescribeInstances', new Error('never thrown'), {
      times: 1_000,
      match: (input) => {
        if (JSON.stringify(input).includes('"instance-id"')) w.cloud.find(instance)?.resource.tags.set('stagebot:keep', 'true');
        return false;
      },
    });
    const r = await w.sweep({ mode: 'reap' });
    expect(r.reaped).toEqual([]);
    expect(r.skipped).toEqual([{ kind: 'instance', id: instance, region: ENVS.stg4.region, reason: expect.stringMatching(/no longer an orphan: protected/) }]);
    expect(w.alive(instance)).toBe(true);
    expect(w.cloud.tagsOf(instance)?.[TAG.reapAfter]).toBeUndefined();
  });

  test('an orphan instance whose attached volume carries the protect tag is skipped with the reason; its neighbour is reaped', async () => {
    const guarded = w.instance(FAILED, { rootVolumeTags: { 'stagebot:keep': 'true' } });
    const plain = w.instance(FAILED);
    const volume = [...w.cloud.region(ENVS.stg4.region).volumes.values()].find((v) => v.attachment?.instanceId === guarded)?.id ?? '';
    expect(volume).toMatch(/^vol-/);
    await w.sweep();
    w.cloud.advance(2 * DAY);
    w.cloud.resetCalls();
    const r = await w.sweep({ mode: 'reap' });
    expect(r.errors).toEqual([]);
    expect(r.reaped.map((x) => x.id)).toEqual([plain]);
    expect(r.skipped).toEqual([{ kind: 'instance', id: guarded, region: ENVS.stg4.region, reason: `volume ${volume} attached to it carries stagebot:keep=true` }]);
    expect(w.alive(guarded) && w.alive(volume)).toBe(true);
    expect(w.alive(plain)).toBe(false);
    // One DescribeVolumes by attachment for both instances, not one per instance.
    const byAttachment = w.cloud.calls.filter((c) => c.command === 'DescribeVolumes' && JSON.stringify(c.input).includes('attachment.instance-id'));
    expect(byAttachment).toHaveLength(1);
    expect(byAttachment[0]?.input).toMatchObject({ Filters: [{ Name: 'attachment.instance-id', Values: expect.arrayContaining([guarded, plain]) }] });
  });

  test('an asset already gone when its turn comes counts as done', async () => {
    const volume = w.volume(FAILED);
    await w.sweep();
    w.cloud.advance(2 * DAY);
    w.cloud.failNext('DescribeVolumes', new Error('never thrown'), {
      times: 1_000,
      match: (input) => {
        const found = JSON.stringify(input).includes('"volume-id"') ? w.cloud.find(volume) : null;
        if (found) found.resource.deletedAt = w.cloud.clock.nowMs();
        return false;
      },
    });
    const r = await w.sweep({ mode: 'reap' });
    expect(r.reaped.map((x) => x.id)).toEqual([volume]);
    expect(w.cloud.callCount('DeleteVolume')).toBe(0);
  });

  test('an AMI is deregistered and its snapshot deleted with it', async () => {
    const { imageId, snapshotId } = w.ami('stg4', 40);
    w.ami('stg4', 2);
    w.ami('stg4', 1);
    await w.sweep();
    w.cloud.advance(2 * DAY);
    const r = await w.sweep({ mode: 'reap' });
    expect(r.reaped).toEqual([expect.objectContaining({ kind: 'image', id: imageId, with: [snapshotId] })]);
    expect(w.alive(imageId)).toBe(false);
    expect(w.alive(snapshotId)).toBe(false);
    const recorded = await w.store.reapedSince(new Date(0));
    expect(recorded.map((x) => [x.kind, x.assetId])).toEqual(expect.arrayContaining([['image', imageId], ['snapshot', snapshotId]]));
  });

  test('a stale ALB target is marked in the store and deregistered past the grace period', async () => {
    const gone = w.instance(FAILED, { state: 'terminated', createdAt: new Date(w.now.getTime() - 600_000) });
    w.cloud.registerTarget(ENVS.stg4.tg, gone);
    const first = await w.sweep();
    expect(first.orphans.map((o) => o.kind)).toEqual(['target']);
    const marks = (await w.store.kvGet(TARGET_MARKS_KEY))?.value as Record<string, string>;
    expect(Object.keys(marks)).toEqual([`${ENVS.stg4.tg}|${gone}`]);
    w.cloud.advance(2 * DAY);
    const r = await w.sweep({ mode: 'reap' });
    expect(r.reaped.map((x) => x.kind)).toEqual(['target']);
    expect(w.cloud.calls.find((c) => c.command === 'DeregisterTargets')?.input).toMatchObject({ TargetGroupArn: ENVS.stg4.tg, Targets: [{ Id: gone }] });
    const after = await w.sweep({ mode: 'reap' });
    expect(after.orphans).toEqual([]);
    expect((await w.store.kvGet(TARGET_MARKS_KEY))?.value).toEqual({});
  });
});

describe('limits and guards', () => {
  async function due(n: number): Promise<string[]> {
    const out = Array.from({ length: n }, () => w.instance(FAILED));
    await w.sweep();
    w.cloud.advance(2 * DAY);
    w.cloud.resetCalls();
    return out;
  }

  test('more due than the limit: nothing is reaped and a person must confirm; confirmed, all are', async () => {
    const instances = await due(26);
    const r = await w.sweep({ mode: 'reap' });
    expect(r).toMatchObject({ needsConfirmation: true, dueCount: 26, limit: 25, reaped: [] });
    expect(mutating(w)).toEqual([]);
    expect(instances.every((id) => w.alive(id))).toBe(true);

    const confirmed = await w.sweep({ mode: 'reap', confirm: true });
    expect(confirmed.needsConfirmation).toBe(false);
    expect(confirmed.reaped).toHaveLength(26);
    expect(instances.some((id) => w.alive(id))).toBe(false);
  });

  test('exactly the limit is reaped without confirmation', async () => {
    const instances = await due(25);
    const r = await w.sweep({ mode: 'reap' });
    expect(r.needsConfirmation).toBe(false);
    expect(r.reaped).toHaveLength(25);
    expect(instances.some((id) => w.alive(id))).toBe(false);
  });

  test('credentials of an account outside the allowlist: nothing is listed, marked or deleted, and the sweep says it was refused', async () => {
    const instance = w.instance(FAILED);
    await w.sweep();
    w.cloud.advance(2 * DAY);
    w.config = makeConfig({ aws: { accountAllowlist: ['999999999999'] } });
    w.instance(FAILED);
    w.cloud.resetCalls();
    const r = await w.sweep({ mode: 'reap' });
    expect(r.accountRefused).toBe('AWS account 123456789012 is not in aws.accountAllowlist (allowed: 999999999999)');
    expect(r.complete).toBe(false);
    expect(r.unswept.map((u) => u.region)).toEqual(['eu-west-1', 'us-east-1']);
    expect(r.reaped).toEqual([]);
    expect(r.marked).toBe(0);
    // Another account's assets are not ours to report: nothing but STS (asked once per client) was called.
    expect(w.cloud.calls.filter((c) => c.service !== 'sts')).toEqual([]);
    expect(w.alive(instance)).toBe(true);
    expect(r.orphans).toEqual([]);
  });
});
