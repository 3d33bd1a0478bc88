import { expect, test } from 'vitest';
import type { Store } from '../../src/store/index.ts';
import { describeStore, race } from './harness.ts';

const T0 = new Date('2026-12-04T08:00:00Z');
const at = (min: number) => new Date(T0.getTime() + min * 60_000);
const criteria = { ami: 'ami-0aaa', builtAfter: at(0) };

async function readyMember(store: Store, id: string, builtMin: number, over: { env?: string; ami?: string } = {}) {
  await store.insertPoolMember({ id, env: over.env ?? 'stg1', region: 'eu-west-1', ami: over.ami ?? 'ami-0aaa', baseRef: 'main', createdAt: at(builtMin - 20) });
  await store.setPoolMemberInstance(id, `i-${id}`);
  expect(await store.markPoolMemberReady(id, at(builtMin))).toBe(true);
}

describeStore('warm pool members', (ctx) => {
  test('a member goes preparing -> ready -> claimed, and the claim is the run\'s', async () => {
    await ctx.store.insertPoolMember({ id: 'pool-1', env: 'stg1', region: 'eu-west-1', ami: 'ami-0aaa', baseRef: 'main', createdAt: at(0) });
    expect((await ctx.store.poolMember('pool-1'))).toMatchObject({ state: 'preparing', instanceId: null, builtAt: null });
    // Not offered while preparing.
    expect(await ctx.store.claimPoolMember('stg1', 'run-a', criteria, at(1))).toBeNull();
    await ctx.store.setPoolMemberInstance('pool-1', 'i-1');
    expect(await ctx.store.markPoolMemberReady('pool-1', at(20))).toBe(true);
    const claimed = await ctx.store.claimPoolMember('stg1', 'run-a', criteria, at(30));
    expect(claimed).toMatchObject({ id: 'pool-1', instanceId: 'i-1', state: 'claimed', claimedBy: 'run-a', claimedAt: at(30), builtAt: at(20) });
    expect((await ctx.store.poolMemberClaimedBy('run-a'))?.id).toBe('pool-1');
    expect(await ctx.store.claimPoolMember('stg1', 'run-b', criteria, at(31))).toBeNull();
    // A claimed member is the run's now: the pool can no longer evict it.
    expect(await ctx.store.evictPoolMember('pool-1', 'excess')).toBe(false);
    expect(await ctx.store.deletePoolMember('pool-1')).toBe(true);
    expect(await ctx.store.listPoolMembers()).toEqual([]);
  });

  test('a claim takes only members of the environment, its current AMI and fresh enough; the oldest acceptable first', async () => {
    await readyMember(ctx.store, 'other-env', 30, { env: 'stg2' });
    await readyMember(ctx.store, 'old-ami', 30, { ami: 'ami-0old' });
    await readyMember(ctx.store, 'too-old', -10);
    await readyMember(ctx.store, 'newer', 40);
    await readyMember(ctx.store, 'older', 35);
    expect((await ctx.store.claimPoolMember('stg1', 'r1', criteria, at(50)))?.id).toBe('older');
    expect((await ctx.store.claimPoolMember('stg1', 'r2', criteria, at(50)))?.id).toBe('newer');
    expect(await ctx.store.claimPoolMember('stg1', 'r3', criteria, at(50))).toBeNull();
    expect((await ctx.store.listPoolMembers('stg1', ['ready'])).map((m) => m.id).sort()).toEqual(['old-ami', 'too-old']);
  });

  test('eviction is refused once claimed, and a member evicted while preparing is never marked ready', async () => {
    await readyMember(ctx.store, 'm1', 10);
    expect(await ctx.store.evictPoolMember('m1', 'older than maxAge 24h')).toBe(true);
    expect(await ctx.store.poolMember('m1')).toMatchObject({ state: 'evicting', evictReason: 'older than maxAge 24h' });
    expect(await ctx.store.claimPoolMember('stg1', 'r1', criteria, at(20))).toBeNull();
    await ctx.store.insertPoolMember({ id: 'm2', env: 'stg1', region: 'eu-west-1', ami: 'ami-0aaa', baseRef: 'main', createdAt: at(0) });
    expect(await ctx.store.evictPoolMember('m2', 'its replenish was abandoned')).toBe(true);
    expect(await ctx.store.markPoolMemberReady('m2', at(20))).toBe(false);
    expect((await ctx.store.poolMember('m2'))?.state).toBe('evicting');
  });

  test('of two replicas racing 20 launches for 3 ready members, each member goes to exactly one run', async () => {
    const other = await ctx.open();
    for (const id of ['a', 'b', 'c']) await readyMember(ctx.store, id, 10);
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? other : ctx.store).claimPoolMember('stg1', `run-${i}`, criteria, at(20))),
    );
    const won = claims.filter((m) => m !== null);
    expect(won.map((m) => m.id).sort()).toEqual(['a', 'b', 'c']);
    expect(new Set(won.map((m) => m.claimedBy)).size).toBe(3);
    for (const m of won) expect((await ctx.store.poolMember(m.id))?.claimedBy).toBe(m.claimedBy);
  });

  test('of a claim and an eviction racing for one member, exactly one wins', async () => {
    const other = await ctx.open();
    for (let round = 0; round < 10; round++) {
      const id = `m${round}`;
      await readyMember(ctx.store, id, 10);
      const winners = await race(2, async (i) =>
        i === 0 ? (await ctx.store.claimPoolMember('stg1', `run-${round}`, criteria, at(20))) !== null : other.evictPoolMember(id, 'excess'),
      );
      expect(winners).toHaveLength(1);
      const state = (await ctx.store.poolMember(id))?.state;
      expect(state).toBe(winners[0] === 0 ? 'claimed' : 'evicting');
    }
  });
});
