// Each sweep occurrence runs once across replicas: two schedulers on one database (two Store handles),
// on SQLite always and on Postgres when TEST_DATABASE_URL is set.
import { afterEach, expect, test } from 'vitest';
import { occurrenceOf, runIfClaimed, startSweepSchedule, SWEEP_SLOT } from '../../src/audit/index.ts';
import { describeStore } from '../store/harness.ts';
import { makeConfig } from './support/world.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

describeStore('sweep schedule', (ctx) => {
  test('two replicas racing for the same occurrence: exactly one sweeps, whatever second their timers fired', async () => {
    const other = await ctx.open();
    const ran: string[] = [];
    const occurrence = new Date('2026-11-23T06:00:00.000Z');
    const [a, b] = await Promise.all([
      runIfClaimed(ctx.store, 'replica-a', new Date(occurrence.getTime() + 12), async () => void ran.push('a')),
      runIfClaimed(other, 'replica-b', new Date(occurrence.getTime() + 840), async () => void ran.push('b')),
    ]);
    expect([a, b].filter(Boolean)).toHaveLength(1);
    expect(ran).toHaveLength(1);
    expect(await ctx.store.cronSlotOwner(SWEEP_SLOT, occurrence)).toBe(a ? 'replica-a' : 'replica-b');
    // The next occurrence is claimable again.
    expect(await runIfClaimed(other, 'replica-b', new Date(occurrence.getTime() + 86_400_000), async () => {})).toBe(true);
  });

  test('two running schedules on one database sweep each occurrence once', async () => {
    const other = await ctx.open();
    const config = makeConfig({ sweeper: { schedule: '* * * * * *', timeZone: 'Europe/Berlin' } });
    const runs: { owner: string; occurrence: number }[] = [];
    for (const [owner, store] of [['replica-a', ctx.store], ['replica-b', other]] as const) {
      stops.push(startSweepSchedule({ config, store, ownerId: owner, run: async (occurrence) => void runs.push({ owner, occurrence: occurrence.getTime() }) }));
    }
    // Every second fires on both replicas; all fires within one minute are one occurrence.
    for (let i = 0; i < 40 && runs.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1_200));
    await Promise.all(stops.splice(0).map((stop) => stop()));
    expect(runs.length).toBeGreaterThan(0);
    const occurrences = runs.map((r) => r.occurrence);
    expect(new Set(occurrences).size).toBe(occurrences.length);
    for (const o of occurrences) expect(o % 60_000).toBe(0);
  });
});

test('an occurrence is its scheduled minute', () => {
  expect(occurrenceOf(new Date('2026-11-23T06:00:59.999Z')).toISOString()).toBe('2026-11-23T06:00:00.000Z');
});
