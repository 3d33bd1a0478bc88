// What runs and orphans cost over a window, grouped; and a run's assets with their state and cost.
import { beforeEach, expect, test } from 'vitest';
import { assetsOfRun, costReport } from '../../src/audit/index.ts';
import { createPrices } from '../../src/cost/prices.ts';
import { HOURS_PER_MONTH } from '../../src/cost/price-table.ts';
import { NotFoundError } from '../../src/errors.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { DAY, HOUR, T0, makeConfig, orphanEntry } from './support/world.ts';

const config = makeConfig();
const prices = createPrices();
const now = T0;
let store: Store;

const t3 = (region: string) => prices.instanceHourly(region, 't3.2xlarge') ?? NaN;
const gp3 = (region: string) => (200 * (prices.ebsGbMonth(region, 'gp3') ?? NaN)) / HOURS_PER_MONTH;

async function runWithAssets(id: string, env: 'stg1' | 'stg4', requester: `slack:${string}`, createdAgo: number, hours: number): Promise<void> {
  const region = env === 'stg1' ? 'us-east-1' : 'eu-west-1';
  const createdAt = new Date(now.getTime() - createdAgo);
  await store.createRun({ id, env, requester, source: 'slack', options: { browsers: ['chrome'] }, createdAt, state: 'succeeded' });
  const deletedAt = new Date(createdAt.getTime() + hours * HOUR);
  await store.recordAsset({ runId: id, kind: 'instance', id: `i-0${id.slice(-6)}00000000aa`, region, createdAt, deletedAt });
  await store.recordAsset({ runId: id, kind: 'volume', id: `vol-0${id.slice(-6)}0000000aa`, region, createdAt, deletedAt });
  await store.recordAsset({ runId: id, kind: 'security-group-rule', id: `sgr-0${id.slice(-6)}0000000aa`, region, createdAt, deletedAt: null });
}

beforeEach(async () => {
  store = await openStore({ sqlitePath: ':memory:' });
  await runWithAssets('stg4-20261120-aaaaa1', 'stg4', 'slack:U1', 1 * DAY, 2);
  await runWithAssets('stg1-20261119-aaaaa2', 'stg1', 'slack:U2', 2 * DAY, 1);
  await runWithAssets('stg4-20261101-aaaaa3', 'stg4', 'slack:U1', 20 * DAY, 5);
});

test('by environment: run costs from their assets, plus what orphans cost inside the window', async () => {
  const orphan = orphanEntry({});
  const r = await costReport(store, config, prices, { sinceMs: 7 * DAY, by: 'env', now }, [orphan]);
  const stg4Runs = 2 * (t3('eu-west-1') + gp3('eu-west-1'));
  const stg1Runs = 1 * (t3('us-east-1') + gp3('us-east-1'));
  // $24 a day, an orphan for 10 days, of which 7 fall in the window.
  const orphanUsd = 7 * 24;
  expect(r.groups.map((g) => g.key)).toEqual(['stg4', 'stg1']);
  expect(r.groups[0]).toMatchObject({ key: 'stg4', runs: 1, orphans: 1 });
  expect(r.groups[0]?.runUsd).toBeCloseTo(stg4Runs, 9);
  expect(r.groups[0]?.orphanUsd).toBeCloseTo(orphanUsd, 9);
  expect(r.groups[1]?.runUsd).toBeCloseTo(stg1Runs, 9);
  expect(r.total.runs).toBe(2);
  expect(r.total.totalUsd).toBeCloseTo(stg4Runs + stg1Runs + orphanUsd, 9);
  expect(r.since.getTime()).toBe(now.getTime() - 7 * DAY);
});

test('by user, over a longer window; an orphan already priced by its run is counted, but its cost is not added twice', async () => {
  const counted = orphanEntry({ id: 'i-0aaaaa100000000aa', requester: 'slack:U1' });
  const r = await costReport(store, config, prices, { sinceMs: 30 * DAY, by: 'user', now }, [counted]);
  // The sweep counted it: so does `cost` (it used to drop it, and said 23 where the sweep said 24).
  expect(r.groups.map((g) => [g.key, g.runs, g.orphans, g.orphansInRunCost])).toEqual([['slack:U1', 2, 1, 1], ['slack:U2', 1, 0, 0]]);
  expect(r.groups[0]?.orphanUsd).toBe(0);
  expect(r.total).toMatchObject({ orphans: 1, orphansInRunCost: 1, orphanUsd: 0 });
  expect(r.groups[0]?.runUsd).toBeCloseTo(7 * (t3('eu-west-1') + gp3('eu-west-1')), 9);
});

test('ungrouped, default window; an unpriced orphan is listed, not added', async () => {
  const r = await costReport(store, config, prices, { sinceMs: null, by: null, now }, [orphanEntry({ dailyUsd: null })]);
  expect(r.groups.map((g) => [g.key, g.runs, g.orphans, g.orphanUsd])).toEqual([['all', 2, 1, 0]]);
  expect(r.unknown).toEqual(['orphan instance i-0orphan000000000a: price unknown']);
});

test('a run\'s assets with their state and cost', async () => {
  const lines = await assetsOfRun(store, 'stg4-20261120-aaaaa1', { config, prices, now });
  expect(lines.map((l) => [l.kind, l.state])).toEqual([['instance', 'deleted'], ['security-group-rule', 'live'], ['volume', 'deleted']]);
  expect(lines.find((l) => l.kind === 'instance')?.costUsd).toBeCloseTo(2 * t3('eu-west-1'), 9);
  expect(lines.find((l) => l.kind === 'security-group-rule')?.costUsd).toBe(0);
  await expect(assetsOfRun(store, 'stg4-20261120-ffffff', { config, prices })).rejects.toBeInstanceOf(NotFoundError);
});
