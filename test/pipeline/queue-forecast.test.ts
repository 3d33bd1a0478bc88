// The queue's ETAs from the store: an image's lock (`image:NAME`) is held by bakes and promotions, whose
// own steps (not a launch's) tell how long the holder has left and how long the next one holds it.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { EXAMPLE_CONFIG_PATH, parseConfig } from '../../src/config/index.ts';
import type { Step } from '../../src/domain/run.ts';
import { forecastQueue } from '../../src/pipeline/queue-forecast.ts';
import { DEFAULT_STEP_NAMES } from '../../src/pipeline/step-order.ts';
import type { Store } from '../../src/store/index.ts';
import { describeStore, newRun } from '../store/harness.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 21, 8, 0);
const at = (ms: number) => new Date(T0 + ms);
const ENV = 'image:mentor-app';
const config = parseConfig(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8'), {}, 'stagebot.example.yml');

function step(runId: string, name: string, startMs: number, ms: number | null): Step {
  return { runId, name, state: ms === null ? 'running' : 'succeeded', startedAt: at(startMs), finishedAt: ms === null ? null : at(startMs + ms), outputs: {}, error: null };
}

/** A finished bake of mentor-app: launch 1 min, recipe 20 min, create-image 5 min, teardown 1 min (27 min). */
async function finishedBake(store: Store, n: number): Promise<void> {
  const run = await store.createRun(newRun({ id: `bake-mentor-app-2026112${n}-aaaaa${n}`, env: ENV, kind: 'bake', state: 'succeeded', options: { browsers: [], image: 'mentor-app' } }));
  const start = n * 60 * MIN;
  let t = start;
  for (const [name, ms] of [['launch', MIN], ['bake-recipe', 20 * MIN], ['create-image', 5 * MIN], ['teardown', MIN]] as const) {
    await store.upsertStep(step(run.id, name, t, ms));
    t += ms;
  }
  await store.updateRun(run.id, { finishedAt: at(t) });
}

describeStore('queue forecast for an image', (ctx) => {
  test('a promotion queued behind a bake starts when the bake, by its own steps, should be done', async () => {
    for (const n of [1, 2, 3]) await finishedBake(ctx.store, n);
    const now = 10 * 60 * MIN;
    // The bake holding the image is 3 minutes into its 20-minute recipe.
    const holder = await ctx.store.createRun(newRun({ id: 'bake-mentor-app-20261121-bbbbbb', env: ENV, kind: 'bake', state: 'running', options: { browsers: [], image: 'mentor-app' } }));
    await ctx.store.upsertStep(step(holder.id, 'launch', now - 4 * MIN, MIN));
    await ctx.store.upsertStep(step(holder.id, 'bake-recipe', now - 3 * MIN, null));
    expect(await ctx.store.claimLock({ env: ENV, holder: holder.id, holderKind: 'run', reason: null, sticky: false, since: at(now - 4 * MIN) })).toBe(true);
    const promotion = await ctx.store.createRun(newRun({ id: 'promote-mentor-app-20261121-cccccc', env: ENV, kind: 'promote', options: { browsers: [], image: 'mentor-app', promote: { source: 'candidate', to: 'latest' } } }));
    const second = await ctx.store.createRun(newRun({ id: 'promote-mentor-app-20261121-dddddd', env: ENV, kind: 'promote', options: { browsers: [], image: 'mentor-app', promote: { source: 'candidate', to: 'stable' } } }));

    const { etas, queue } = await forecastQueue(ctx.store, config, DEFAULT_STEP_NAMES, at(now));
    expect(queue.map((r) => r.id)).toEqual([promotion.id, second.id]);
    // Left of the bake: 17 min of its recipe, then create-image 5 and teardown 1.
    expect(etas.get(promotion.id)).toBe(23 * MIN);
    // No promotion has finished yet, so how long one holds the image cannot be told.
    expect(etas.get(second.id)).toBeNull();
  });
});
