// The dashboard's 30-day spend: the same figures as `cost`, by environment, by requester and by day;
// a standing orphan spread over the days it stood, a reaped one counted on the day it was reaped.
import { beforeEach, expect, test } from 'vitest';
import { costReport, spendReport, type OrphanEntry } from '../../src/audit/index.ts';
import { createPrices } from '../../src/cost/prices.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { DAY, HOUR, T0, makeConfig, orphanEntry } from './support/world.ts';

const config = makeConfig();
const prices = createPrices();
const now = new Date(Math.floor(T0.getTime() / DAY) * DAY + 12 * HOUR); // noon UTC
let store: Store;

const orphan = (o: Partial<OrphanEntry>) => orphanEntry({ ageMs: 36 * HOUR, accruedUsd: 36, ...o });

beforeEach(async () => {
  store = await openStore({ sqlitePath: ':memory:' });
  const createdAt = new Date(now.getTime() - 2 * DAY);
  await store.createRun({ id: 'stg4-20261119-aaaaa1', env: 'stg4', requester: 'slack:U1', source: 'slack', options: { browsers: ['chrome'] }, createdAt, state: 'succeeded' });
  await store.recordAsset({ runId: 'stg4-20261119-aaaaa1', kind: 'instance', id: 'i-0aaaaa100000000aa', region: 'eu-west-1', createdAt, deletedAt: new Date(createdAt.getTime() + 2 * HOUR) });
  const sweep = await store.recordSweep({ startedAt: new Date(now.getTime() - DAY), dryRun: false });
  await store.recordReaped({ sweepId: sweep.id, kind: 'volume', assetId: 'vol-0reaped0000000aa', region: 'us-east-1', runId: 'stg1-20261101-bbbbb2', costUsd: 5, reapedAt: new Date(now.getTime() - DAY) });
});

test('groups add up to the same total as `cost`, with what was reaped on top', async () => {
  const orphans = [orphan({})];
  const spend = await spendReport(store, config, prices, { days: 30, now, orphansAsOf: now }, orphans);
  const cost = await costReport(store, config, prices, { sinceMs: 30 * DAY, by: 'env', now }, orphans);
  expect(spend.total.runUsd).toBeCloseTo(cost.total.runUsd, 9);
  expect(spend.total.orphanUsd).toBeCloseTo(cost.total.orphanUsd + 5, 9);
  expect(spend.byEnv.map((g) => [g.key, g.runs, g.orphans])).toEqual([
    ['stg4', 1, 1],
    ['stg1', 0, 1],
  ]);
  expect(spend.byUser.map((g) => g.key).sort()).toEqual(['(unknown)', 'slack:U1', 'slack:U2']);
});

test('every day of the window is there; a standing orphan spread over the days it stood', async () => {
  const spend = await spendReport(store, config, prices, { days: 30, now, orphansAsOf: now }, [orphan({})]);
  expect(spend.daily).toHaveLength(31);
  expect(spend.daily.at(-1)!.day).toBe(now.toISOString().slice(0, 10));
  const day = (ago: number) => spend.daily.find((d) => d.day === new Date(now.getTime() - ago * DAY).toISOString().slice(0, 10))!;
  // 36 hours back from noon: 12 h today, 24 h yesterday (with the 5 USD reaped then), 0 h the day before.
  expect(day(0).orphanUsd).toBeCloseTo(12, 9);
  expect(day(1).orphanUsd).toBeCloseTo(24 + 5, 9);
  expect(day(2).orphanUsd).toBe(0);
  expect(day(2).runUsd).toBeGreaterThan(0);
  expect(spend.daily.reduce((n, d) => n + d.orphanUsd + d.runUsd, 0)).toBeCloseTo(spend.total.totalUsd, 9);
});
