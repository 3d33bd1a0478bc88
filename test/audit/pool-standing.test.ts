// Issue 14: a warm pool's standing cost per environment (members from the store, else the configured
// size), beside the minutes a warm launch saves by the step-time history (cold against warm launch +
// service-update), on both store backends.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { poolStandingLine, poolStandings } from '../../src/audit/pool-standing.ts';
import { renderCostText } from '../../src/audit/cost-text.ts';
import { EXAMPLE_CONFIG_PATH, parseConfig, type Config } from '../../src/config/index.ts';
import { formatUsd } from '../../src/cost/estimate.ts';
import { poolStandingCost } from '../../src/cost/pool-cost.ts';
import { createPrices } from '../../src/cost/prices.ts';
import type { Step } from '../../src/domain/run.ts';
import type { Store } from '../../src/store/index.ts';
import { describeStore, newRun } from '../store/harness.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 21, 8, 0);
const at = (ms: number) => new Date(T0 + ms);

function withPool(pool: NonNullable<Config['environments'][string]['warmPool']>): Config {
  const config = parseConfig(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'), {}, 'stagebot.example.yml');
  const stg1 = config.environments['stg1']!;
  return { ...config, environments: { ...config.environments, stg1: { ...stg1, warmPool: pool } } };
}

function step(runId: string, name: string, startMs: number, ms: number, outputs: Record<string, unknown> = {}, state: Step['state'] = 'succeeded'): Step {
  return { runId, name, state, startedAt: at(startMs), finishedAt: at(startMs + ms), outputs, error: null };
}

/** A finished launch of stg1 whose launch and service-update took these times; warm: its launch claimed `member`. */
async function finishedLaunch(store: Store, n: number, launchMs: number, updateMs: number, member: string | null = null): Promise<string> {
  const run = await store.createRun(newRun({ env: 'stg1' }));
  const start = n * 60 * MIN;
  await store.upsertStep(step(run.id, 'launch', start, launchMs, member ? { instanceId: 'i-1', warmMember: member } : { instanceId: 'i-1' }));
  await store.upsertStep(step(run.id, 'service-update', start + launchMs, updateMs));
  await store.updateRun(run.id, { finishedAt: at(start + 50 * MIN) });
  return run.id;
}

describeStore('warm pool standing', (ctx) => {
  const prices = createPrices();
  const pool = { size: 2, mode: 'stopped' as const, maxAge: 86_400_000, baseRef: 'main' };

  test('no members yet: the configured size is priced, and no warm launch has been seen', async () => {
    const config = withPool(pool);
    const [p] = await poolStandings(ctx.store, config, prices);
    const expected = poolStandingCost(prices, { ...config.environments['stg1']!, warmPool: pool });
    expect(p).toMatchObject({ env: 'stg1', members: 2, fromStore: false, ready: 0, preparing: 0, mode: 'stopped', savedMs: null, warmLaunches: 0 });
    expect(p!.perDayUsd).toBeCloseTo(expected.perDayUsd!, 9);
    expect(poolStandingLine(p!)).toBe(`pool stg1: 2 stopped members wanted, none prepared yet, ${formatUsd(expected.perDayUsd)}/day once full · no warm launches yet`);
    // Environments without a pool say nothing.
    expect((await poolStandings(ctx.store, config, prices)).map((x) => x.env)).toEqual(['stg1']);
    expect(await poolStandings(ctx.store, config, prices, 'stg2')).toEqual([]);
  });

  test('members from the store (ready and preparing; claimed and evicting ones are not the pool\'s): priced by their count', async () => {
    const config = withPool({ ...pool, size: 3, mode: 'running', hours: [{ from: 7, to: 19, days: [1, 2, 3, 4, 5] }] });
    for (const id of ['m1', 'm2', 'm3', 'm4']) await ctx.store.insertPoolMember({ id, env: 'stg1', region: 'us-east-1', ami: 'ami-0a1b2c3d4e5f60001', baseRef: 'main', createdAt: at(0) });
    await ctx.store.markPoolMemberReady('m1', at(MIN));
    await ctx.store.markPoolMemberReady('m3', at(MIN));
    await ctx.store.claimPoolMember('stg1', 'stg1-20261121-aaaaaa', { ami: 'ami-0a1b2c3d4e5f60001', builtAfter: at(0) }, at(2 * MIN));
    await ctx.store.evictPoolMember('m4', 'older than maxAge');
    const [p] = await poolStandings(ctx.store, config, prices);
    const two = poolStandingCost(prices, { ...config.environments['stg1']!, warmPool: { ...config.environments['stg1']!.warmPool!, size: 2 } });
    expect(p).toMatchObject({ members: 2, fromStore: true, ready: 1, preparing: 1, size: 3, mode: 'running', hoursPerWeek: 60 });
    expect(p!.perDayUsd).toBeCloseTo(two.perDayUsd!, 9);
    expect(poolStandingLine(p!)).toMatch(new RegExp(`^pool stg1: 2 running members, \\${formatUsd(two.perDayUsd)}/day \\(kept full 60 h a week\\) · `));
  });

  test('what a warm launch saves: median cold minus median warm launch + service-update, warm told by the launch\'s pool member', async () => {
    const config = withPool(pool);
    // Cold: 50 s launch + 28 min recipe (three of them); warm: 16 s start + 1 min warm recipe (two).
    await finishedLaunch(ctx.store, 0, 50_000, 28 * MIN);
    await finishedLaunch(ctx.store, 1, 55_000, 30 * MIN);
    await finishedLaunch(ctx.store, 2, 45_000, 26 * MIN);
    await finishedLaunch(ctx.store, 3, 16_000, MIN, 'pool-a');
    await finishedLaunch(ctx.store, 4, 20_000, 2 * MIN, 'pool-b');
    // A failed service-update says nothing of the usual; another environment's runs are not this one's.
    const failed = await ctx.store.createRun(newRun({ env: 'stg1' }));
    await ctx.store.upsertStep(step(failed.id, 'launch', 0, 1_000, { warmMember: 'pool-c' }));
    await ctx.store.upsertStep(step(failed.id, 'service-update', 1_000, 1_000, {}, 'failed'));
    await ctx.store.updateRun(failed.id, { finishedAt: at(9 * 60 * MIN) });
    const other = await ctx.store.createRun(newRun({ env: 'stg2' }));
    await ctx.store.upsertStep(step(other.id, 'launch', 0, 1_000, { warmMember: 'pool-d' }));
    await ctx.store.upsertStep(step(other.id, 'service-update', 1_000, 1_000));
    await ctx.store.updateRun(other.id, { finishedAt: at(MIN) });

    const history = await ctx.store.launchPathHistory('stg1');
    expect(history).toHaveLength(5);
    expect(history.filter((h) => h.warm)).toHaveLength(2);
    const [p] = await poolStandings(ctx.store, config, prices);
    // Lower medians: cold 50 s + 28 min, warm 16 s + 1 min.
    expect(p).toMatchObject({ warmLaunches: 2, coldLaunches: 3, savedMs: 50_000 + 28 * MIN - (16_000 + MIN) });
    expect(poolStandingLine(p!)).toMatch(/ · a warm launch saves ~28 min \(median of 2 warm, 3 cold launches\)$/);
    // `cost` shows it under the report, apart from its figures.
    const text = renderCostText({ since: at(0), until: at(MIN), by: null, groups: [], total: { key: 'total', runs: 0, runUsd: 0, orphans: 0, orphanUsd: 0, totalUsd: 0, orphansInRunCost: 0 }, unknown: [] } as never, null, null, [p!]);
    expect(text).toContain(`warm pools (standing cost while they wait, not in the figures above):\n  ${poolStandingLine(p!)}`);
  });

  test('a launch whose member is still recorded as claimed by it counts as warm too', async () => {
    const runId = await finishedLaunch(ctx.store, 0, 16_000, MIN);
    await ctx.store.insertPoolMember({ id: 'm1', env: 'stg1', region: 'us-east-1', ami: 'ami-0a1b2c3d4e5f60001', baseRef: 'main', createdAt: at(0) });
    await ctx.store.markPoolMemberReady('m1', at(MIN));
    await ctx.store.claimPoolMember('stg1', runId, { ami: 'ami-0a1b2c3d4e5f60001', builtAfter: at(0) }, at(2 * MIN));
    expect(await ctx.store.launchPathHistory('stg1')).toEqual([{ runId, warm: true, launchMs: 16_000, serviceUpdateMs: MIN }]);
    const [p] = await poolStandings(ctx.store, withPool(pool), prices);
    expect(poolStandingLine(p!)).toMatch(/ · 1 warm launch, no cold one to compare with$/);
  });
});
