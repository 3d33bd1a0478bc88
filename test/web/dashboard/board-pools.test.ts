// The board's Warm pools table (issue 14): per environment with a pool, its members ready and preparing
// as the store has them, its mode, what it costs a day while it waits and what a warm launch saves,
// from the same BoardReader data `list` and App Home use; an installation without pools shows no table.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BoardReader } from '../../../src/commands/board.ts';
import { EXAMPLE_CONFIG_PATH, parseConfig, type Config } from '../../../src/config/index.ts';
import { formatUsd } from '../../../src/cost/estimate.ts';
import { createPrices } from '../../../src/cost/prices.ts';
import { poolStandingCost } from '../../../src/cost/pool-cost.ts';
import { openStore, type Store } from '../../../src/store/index.ts';
import type { PageContext } from '../../../src/web/dashboard/layout.ts';
import { boardPage, poolsTable } from '../../../src/web/dashboard/pages/board.ts';
import { StaticFiles } from '../../../src/web/dashboard/static-files.ts';
import type { PoolStanding } from '../../../src/commands/pool-lines.ts';

const NOW = new Date('2026-11-21T10:00:00Z');
const AMI = 'ami-0a1b2c3d4e5f60001';

function withPools(): Config {
  const config = parseConfig(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'), {}, 'stagebot.example.yml');
  const stg1 = config.environments['stg1']!;
  const stg3 = config.environments['stg3']!;
  return {
    ...config,
    environments: {
      ...config.environments,
      stg1: { ...stg1, warmPool: { size: 3, mode: 'stopped', maxAge: 86_400_000, baseRef: 'main' } },
      stg3: { ...stg3, warmPool: { size: 1, mode: 'running', maxAge: 86_400_000, baseRef: 'main', hours: [{ from: 7, to: 19, days: [1, 2, 3, 4, 5] }] } },
    },
  };
}

const ctx = (): PageContext => ({
  viewer: { requester: null, name: 'anonymous', via: 'anonymous', admin: false },
  csrf: null,
  installation: 'test',
  auth: 'none',
  files: new StaticFiles(),
  now: NOW,
  path: '/',
});

/** The rows of the Warm pools table, each cell's text without markup. */
function rows(text: string): string[][] {
  const body = /<caption>Warm pools[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(text)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, '').replace(/\s+/g, ' ').trim()));
}

let store: Store | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

describe('board: warm pools', () => {
  it('shows each pool with its ready and preparing members from the store, mode, cost a day and the minutes saved', async () => {
    const config = withPools();
    store = await openStore({ sqlitePath: ':memory:' });
    for (const id of ['pool-a', 'pool-b', 'pool-c']) await store.insertPoolMember({ id, env: 'stg1', region: 'us-east-1', ami: AMI, baseRef: 'main', createdAt: NOW });
    await store.markPoolMemberReady('pool-a', NOW);
    await store.markPoolMemberReady('pool-b', NOW);
    const prices = createPrices(config.pricing);
    const board = await new BoardReader(store, config, () => NOW, prices).board();
    const page = boardPage(ctx(), { board, views: new Map(), config });
    const text = page.body.text;

    // A section with its heading, the table with a caption and column headers, each pool's row headed by its environment.
    expect(text).toContain('<section aria-labelledby="pools-h"><h2 id="pools-h">Warm pools</h2>');
    expect(text).toContain('<caption>Warm pools (2)</caption>');
    expect(text).toContain('<th scope="col">Ready</th><th scope="col">Preparing</th>');
    expect(text).toContain('<th scope="row">stg1</th>');
    const pooled = (name: string) => {
      const env = config.environments[name]!;
      return { ...env, warmPool: env.warmPool! };
    };
    const three = poolStandingCost(prices, pooled('stg1'));
    const one = poolStandingCost(prices, pooled('stg3'));
    expect(rows(text)).toEqual([
      ['stg1', 'stopped', '2', '1', '3', formatUsd(three.perDayUsd), 'no warm launches yet'],
      ['stg3', 'running', '0', '0', '1', `${formatUsd(one.perDayUsd)} once full (kept full 60 h a week)`, 'no warm launches yet'],
    ]);
    // In the page's order: after the environments, before the queue; refreshed live like the other regions.
    expect(text.indexOf('id="envs-h"')).toBeLessThan(text.indexOf('id="pools-h"'));
    expect(text.indexOf('id="pools-h"')).toBeLessThan(text.indexOf('id="queue-h"'));
    expect(text).toContain('<div id="board-pools" data-live-region>');
  });

  it('says what a warm launch saves, or why there is no telling, and an unpriced pool\'s reason', () => {
    const base: PoolStanding = { env: 'stg1', mode: 'stopped', size: 2, members: 2, fromStore: true, ready: 2, preparing: 0, perDayUsd: 1.05, hoursPerWeek: 168, unknown: [], savedMs: 27 * 60_000, warmLaunches: 3, coldLaunches: 10 };
    const [row] = rows(poolsTable([base]).text);
    expect(row).toEqual(['stg1', 'stopped', '2', '0', '2', formatUsd(1.05), '~27 min (median of 3 warm, 10 cold launches)']);
    expect(rows(poolsTable([{ ...base, savedMs: null, warmLaunches: 1, coldLaunches: 0 }]).text)[0]![6]).toBe('1 warm launch, no cold one to compare with');
    expect(rows(poolsTable([{ ...base, perDayUsd: null, unknown: ['no price for <t9.huge>'] }]).text)[0]![5]).toBe('unknown (no price for &lt;t9.huge&gt;)');
  });

  it('an installation without warm pools has no pools section', async () => {
    const config = parseConfig(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'), {}, 'stagebot.example.yml');
    store = await openStore({ sqlitePath: ':memory:' });
    const board = await new BoardReader(store, config, () => NOW, createPrices(config.pricing)).board();
    expect(board.pools).toEqual([]);
    const text = boardPage(ctx(), { board, views: new Map(), config }).body.text;
    expect(text).not.toContain('Warm pools');
    expect(text).toContain('id="queue-h"');
  });
});
