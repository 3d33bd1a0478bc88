import { expect, test } from 'vitest';
import { describeStore, race } from './harness.ts';

describeStore('delivery and cron claims', (ctx) => {
  test('a delivery key is claimed once only', async () => {
    const at = new Date('2026-11-21T10:00:00Z');
    expect(await ctx.store.claimDelivery('slack:Ev123', at)).toBe(true);
    expect(await ctx.store.claimDelivery('slack:Ev123', at)).toBe(false);
    expect(await ctx.store.claimDelivery('github:Ev123', at)).toBe(true);
  });

  test('of two replicas racing 20 claims of one delivery, exactly one wins', async () => {
    const other = await ctx.open();
    const at = new Date('2026-11-21T10:00:00Z');
    const winners = await race(20, (i) => (i % 2 ? other : ctx.store).claimDelivery('github:72d3162e-cc78', at));
    expect(winners).toHaveLength(1);
  });

  test('pruning forgets deliveries older than the cutoff only', async () => {
    await ctx.store.claimDelivery('old', new Date('2026-11-20T10:00:00Z'));
    await ctx.store.claimDelivery('new', new Date('2026-11-21T10:00:00Z'));
    expect(await ctx.store.pruneDeliveries(new Date('2026-11-21T00:00:00Z'))).toBe(1);
    expect(await ctx.store.claimDelivery('old', new Date())).toBe(true);
    expect(await ctx.store.claimDelivery('new', new Date())).toBe(false);
  });

  test('of two replicas racing 20 claims of one cron occurrence, exactly one wins; the next occurrence is free', async () => {
    const other = await ctx.open();
    const occurrence = new Date('2026-11-21T06:00:00Z');
    const winners = await race(20, (i) => (i % 2 ? other : ctx.store).claimCronSlot('daily-sweep', occurrence, `replica-${i}`));
    expect(winners).toHaveLength(1);
    expect(await ctx.store.cronSlotOwner('daily-sweep', occurrence)).toBe(`replica-${winners[0]}`);
    expect(await ctx.store.claimCronSlot('daily-sweep', new Date('2026-11-22T06:00:00Z'), 'replica-0')).toBe(true);
    expect(await ctx.store.claimCronSlot('daily-report', occurrence, 'replica-0')).toBe(true);
    expect(await ctx.store.cronSlotOwner('daily-sweep', new Date('2026-11-23T06:00:00Z'))).toBeNull();
  });

  test('pruning cron slots forgets past occurrences only', async () => {
    await ctx.store.claimCronSlot('daily-sweep', new Date('2026-11-01T06:00:00Z'), 'a');
    await ctx.store.claimCronSlot('daily-sweep', new Date('2026-11-21T06:00:00Z'), 'a');
    expect(await ctx.store.pruneCronSlots(new Date('2026-11-14T00:00:00Z'))).toBe(1);
    expect(await ctx.store.cronSlotOwner('daily-sweep', new Date('2026-11-21T06:00:00Z'))).toBe('a');
  });
});
