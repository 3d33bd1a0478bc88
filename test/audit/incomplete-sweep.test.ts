// A sweep that could not look everywhere says so first, is never a clean bill, and does not replace
// the last complete sweep's figures (`cost`, the metrics, the board). What it did list is still
// reported, marked and reaped: every orphan rule judges an asset by its own tags and its run's record.
import { afterEach, expect, test } from 'vitest';
import { createAudit } from '../../src/audit/service.ts';
import { loadTargetMarks } from '../../src/audit/marks.ts';
import { renderSweepText } from '../../src/audit/index.ts';
import { NO_CREDENTIALS } from '../../src/aws/errors.ts';
import { BoardReader } from '../../src/commands/board.ts';
import { createPrices } from '../../src/cost/prices.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createFakeAwsClients, serverError } from '../fakes/cloud/index.ts';
import { DAY, ENVS, World } from './support/world.ts';

const FAILED = 'stg4-20261118-a1b2c3';
const EAST = 'stg1-20261118-b2c3d4';
let w: World;

afterEach(async () => {
  await w.store.close();
});

function audit(metrics = createMetrics({ defaultMetrics: false })) {
  return {
    metrics,
    audit: createAudit({ config: w.config, store: w.store, aws: w.aws, prices: createPrices(), logger: silentLogger(), metrics, clock: { now: () => w.now, sleep: async () => {} } }),
  };
}

/** Every GetResources call in `region` fails with a 503 (retries included) for the next sweep. */
function breakRegion(region: string): void {
  w.cloud.failNext('GetResources', serverError('tagging', 503), { region, times: 50 });
}

async function gauge(metrics: ReturnType<typeof createMetrics>, name: string): Promise<string> {
  return (await metrics.registry.getSingleMetricAsString(name)).split('\n').filter((l) => !l.startsWith('#')).join('\n');
}

test('without credentials: every region is reported at the top with the one-line credential message, and it is not "No orphans"', async () => {
  w = await World.create();
  const aws = createFakeAwsClients(w.cloud, { credentials: 'none' });
  await w.run(FAILED, 'failed');
  w.instance(FAILED);
  const r = await w.sweep({}, { aws });
  expect(r.complete).toBe(false);
  expect(r.accountRefused).toBeNull();
  expect(r.unswept).toEqual([
    { region: 'eu-west-1', kind: null, reason: NO_CREDENTIALS },
    { region: 'us-east-1', kind: null, reason: NO_CREDENTIALS },
  ]);
  const lines = renderSweepText(r, 'stagebot').split('\n');
  expect(lines.slice(0, 2)).toEqual([`could not sweep eu-west-1: ${NO_CREDENTIALS}`, `could not sweep us-east-1: ${NO_CREDENTIALS}`]);
  expect(lines[2]).toMatch(/^Sweep #1 \(dry run, INCOMPLETE\) at /);
  expect(lines.join('\n')).not.toContain('No orphans');
  expect(lines).toContain("Nothing could be listed, so nothing is known about orphans. `cost` and the metrics keep the last complete sweep's figures.");
  // Nothing was looked at, so nothing was written either.
  expect(r.marked).toBe(0);
});

test('an incomplete sweep keeps the last complete figures for cost, the metrics and the board', async () => {
  w = await World.create();
  await w.run(FAILED, 'failed');
  await w.run(EAST, 'failed');
  const west = w.instance(FAILED);
  const east = w.instance(EAST, { env: 'stg1' });
  const { audit: a, metrics } = audit();

  const complete = (await a.sweep({ mode: 'dry-run', requester: 'cli:alice' })).data;
  expect(complete.complete).toBe(true);
  expect(complete.orphans.map((o) => o.id).sort()).toEqual([east, west].sort());
  expect(await gauge(metrics, 'stagebot_orphans')).toBe('stagebot_orphans{kind="instance"} 2');

  w.cloud.advance(DAY);
  breakRegion('us-east-1');
  const partial = await a.sweep({ mode: 'dry-run', requester: 'cli:alice' });
  expect(partial.data.complete).toBe(false);
  expect(partial.data.unswept).toEqual([{ region: 'us-east-1', kind: null, reason: expect.stringMatching(/503|ServiceUnavailable/) }]);
  // What was listed is still reported, and said to be only that.
  expect(partial.data.orphans.map((o) => o.id)).toEqual([west]);
  const text = partial.text.split('\n');
  expect(text[0]).toMatch(/^could not sweep us-east-1: /);
  expect(text.some((l) => /^1 orphan in what could be listed \(1 instances\): \$\d+\.\d\d\/day/.test(l))).toBe(true);
  expect(text).toContain("Incomplete: `cost` and the metrics keep the last complete sweep's figures.");

  // cost counts the complete sweep's two orphans, and says a later sweep was incomplete.
  const cost = await a.cost({ sinceMs: null, by: null });
  expect(cost.data.total.orphans).toBe(2);
  expect(cost.data.orphansAsOf?.getTime()).toBe(complete.startedAt.getTime());
  expect(cost.data.newerIncompleteSweepAt?.getTime()).toBe(partial.data.startedAt.getTime());
  expect(cost.text).toContain('could not list everything; its partial count is not used');

  // The metrics keep the complete figures and flag the incomplete sweep.
  expect(await gauge(metrics, 'stagebot_orphans')).toBe('stagebot_orphans{kind="instance"} 2');
  expect(await gauge(metrics, 'stagebot_sweep_incomplete')).toBe('stagebot_sweep_incomplete 1');

  // The board (App Home) shows the complete count and what the latest sweep could not see.
  const board = await new BoardReader(w.store, w.config, () => w.now).board();
  expect(board.orphans?.count).toBe(2);
  expect(board.sweepIncomplete?.problems).toEqual([expect.stringMatching(/^could not sweep us-east-1: /)]);

  // The next complete sweep takes over again.
  w.cloud.faults.clear();
  const again = await a.sweep({ mode: 'dry-run', requester: 'cli:alice' });
  expect(again.data.complete).toBe(true);
  expect(await gauge(metrics, 'stagebot_sweep_incomplete')).toBe('stagebot_sweep_incomplete 0');
  expect((await new BoardReader(w.store, w.config, () => w.now).board()).sweepIncomplete).toBeNull();
});

test('reaping in the regions that answered goes on; the region that did not is left alone', async () => {
  w = await World.create();
  await w.run(FAILED, 'failed');
  await w.run(EAST, 'failed');
  const west = w.instance(FAILED);
  const east = w.instance(EAST, { env: 'stg1' });
  await w.sweep();
  w.cloud.advance(2 * DAY);
  breakRegion('us-east-1');
  const r = await w.sweep({ mode: 'reap' });
  expect(r.complete).toBe(false);
  expect(r.reaped.map((x) => x.id)).toEqual([west]);
  expect(w.alive(west)).toBe(false);
  expect(w.alive(east)).toBe(true);
});

test('a target group that cannot be read: its kind in that region is unswept, and its targets keep their marks', async () => {
  w = await World.create();
  const gone = w.instance(FAILED, { state: 'terminated', createdAt: new Date(w.now.getTime() - 60_000) });
  w.cloud.registerTarget(ENVS.stg4.tg, gone);
  const first = await w.sweep();
  expect(first.orphans.map((o) => o.kind)).toContain('target');
  const marked = [...(await loadTargetMarks(w.store)).keys()];
  expect(marked).toHaveLength(1);

  w.cloud.failNext('DescribeTargetHealth', serverError('elbv2', 503), { region: 'eu-west-1', times: 50 });
  const r = await w.sweep();
  expect(r.complete).toBe(false);
  expect(r.unswept).toEqual([{ region: 'eu-west-1', kind: 'target', reason: expect.stringMatching(/^the target group of stg4 could not be read \(/) }]);
  expect(renderSweepText(r, 'stagebot').split('\n')[0]).toMatch(/^could not sweep ALB targets in eu-west-1: the target group of stg4 could not be read/);
  // Not seen is not gone: the mark (kept in the store) stays, so its grace period is not restarted.
  expect([...(await loadTargetMarks(w.store)).keys()]).toEqual(marked);
});
