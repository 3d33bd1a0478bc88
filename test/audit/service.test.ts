// The audit as the command runner sees it: a sweep's report in data and text, and `cost` adding the
// orphans of the latest sweep without sweeping again (a sweep tags what it finds).
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createAudit } from '../../src/audit/service.ts';
import { createPrices } from '../../src/cost/prices.ts';
import type { SweepReport } from '../../src/audit/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { DAY, World } from '../audit/support/world.ts';

const FAILED = 'stg4-20261118-a1b2c3';
let w: World;

beforeEach(async () => {
  w = await World.create();
  await w.run(FAILED, 'failed', { finishedAgoMs: 3 * DAY });
});
afterEach(async () => {
  await w.store.close();
});

function audit() {
  return createAudit({ config: w.config, store: w.store, aws: w.aws, prices: createPrices(), logger: silentLogger(), clock: { now: () => w.now, sleep: async () => {} } });
}

test('a dry-run sweep reports the orphan in data and text, and deletes nothing', async () => {
  const instance = w.instance(FAILED);
  const result = await audit().sweep({ mode: 'dry-run', requester: 'cli:alice' });
  const report = result.data as SweepReport;
  expect(report.orphans.map((o) => o.id)).toEqual([instance]);
  expect(report.reaped).toEqual([]);
  expect(result.text).toContain(instance);
  expect(w.cloud.liveAssetsTaggedWith(FAILED).map((a) => a.id)).toContain(instance);
});

test('cost adds the orphans of the latest sweep and says when that sweep ran', async () => {
  w.instance(FAILED);
  const before = await audit().cost({ sinceMs: null, by: null });
  expect((before.data as { total: { orphans: number } }).total.orphans).toBe(0);
  expect(before.text).toContain('no complete sweep has run yet');

  await audit().sweep({ mode: 'dry-run', requester: 'cli:alice' });
  const callsBeforeCost = w.cloud.calls.length;
  const after = await audit().cost({ sinceMs: null, by: null });
  const total = (after.data as { total: { orphans: number; orphanUsd: number } }).total;
  expect(total.orphans).toBe(1);
  expect(total.orphanUsd).toBeGreaterThan(0);
  expect(after.text).toMatch(/orphans as found by the sweep of \d{4}-\d{2}-\d{2}/);
  // cost must not sweep (or touch AWS) again.
  expect(w.cloud.calls.length).toBe(callsBeforeCost);
});

test('pruneBookkeeping forgets delivery keys after 7 days and cron slots after 30, not sooner', async () => {
  const { pruneBookkeeping } = await import('../../src/audit/service.ts');
  const now = new Date('2026-11-21T07:00:00Z');
  const daysAgo = (d: number) => new Date(now.getTime() - d * DAY);
  expect(await w.store.claimDelivery('github:old', daysAgo(8))).toBe(true);
  expect(await w.store.claimDelivery('github:recent', daysAgo(6))).toBe(true);
  expect(await w.store.claimCronSlot('sweep', daysAgo(31), 'replica-a', daysAgo(31))).toBe(true);
  expect(await w.store.claimCronSlot('sweep', daysAgo(29), 'replica-a', daysAgo(29))).toBe(true);

  expect(await pruneBookkeeping(w.store, now)).toEqual({ deliveries: 1, cronSlots: 1 });
  // Forgotten keys can be claimed again; remembered ones cannot.
  expect(await w.store.claimDelivery('github:old', now)).toBe(true);
  expect(await w.store.claimDelivery('github:recent', now)).toBe(false);
  expect(await w.store.claimCronSlot('sweep', daysAgo(31), 'replica-b', now)).toBe(true);
  expect(await w.store.claimCronSlot('sweep', daysAgo(29), 'replica-b', now)).toBe(false);
});

test('cost counts as many orphans as the sweep reported, also those whose run (in the window) already prices them', async () => {
  // A run inside the cost window (created 5 days ago) that failed and left its instance behind: the
  // store records the instance, so the run's cost covers it; the sweep calls it an orphan.
  const recent = 'stg4-20261119-c3d4e5';
  await w.run(recent, 'failed', { finishedAgoMs: 2 * DAY });
  const leaked = w.instance(recent);
  await w.store.recordAsset({ runId: recent, kind: 'instance', id: leaked, region: 'eu-west-1', createdAt: new Date(w.now.getTime() - 2 * DAY), deletedAt: null });
  w.instance(FAILED);
  const swept = (await audit().sweep({ mode: 'dry-run', requester: 'cli:alice' })).data;
  expect(swept.orphans).toHaveLength(2);
  const cost = await audit().cost({ sinceMs: null, by: null });
  expect(cost.data.total.orphans).toBe(swept.orphans.length);
  expect(cost.data.total.orphansInRunCost).toBe(1);
  expect(cost.text).toContain('1 of the 2 orphans is priced with its run');
});

test('issue 14: cost and the daily report show each warm pool\'s standing cost beside what it saves; without pools, nothing', async () => {
  const plain = await audit().cost({ sinceMs: null, by: null });
  expect(plain.data.pools).toEqual([]);
  expect(plain.text).not.toContain('warm pools');
  const stg4 = w.config.environments['stg4']!;
  stg4.warmPool = { size: 3, mode: 'stopped', maxAge: DAY, baseRef: 'main' };
  await w.store.insertPoolMember({ id: 'pool-1', env: 'stg4', region: stg4.region, ami: 'ami-x', baseRef: 'main', createdAt: w.now });
  const { poolStandingCost } = await import('../../src/cost/pool-cost.ts');
  const { formatUsd } = await import('../../src/cost/estimate.ts');
  // One member in the store (preparing): priced as one, not as the configured three.
  const perDay = poolStandingCost(createPrices(), { ...stg4, warmPool: { ...stg4.warmPool, size: 1 } }).perDayUsd;
  const line = `pool stg4: 1 stopped member, ${formatUsd(perDay)}/day · no warm launches yet`;
  const cost = await audit().cost({ sinceMs: null, by: null });
  expect(cost.data.pools).toMatchObject([{ env: 'stg4', members: 1, fromStore: true }]);
  expect(cost.text.split('\n')).toContain(`  ${line}`);
  const daily = await audit().scheduledSweep();
  expect(daily.pools).toMatchObject([{ env: 'stg4', members: 1 }]);
  const { renderSweepText } = await import('../../src/audit/index.ts');
  expect(renderSweepText(daily, 'stagebot')).toContain(`Warm pools (standing cost while they wait):\n  ${line}`);
});
