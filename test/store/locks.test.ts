import { expect, test } from 'vitest';
import type { EnvLock } from '../../src/domain/lock.ts';
import { describeStore, race } from './harness.ts';

const since = new Date('2026-11-21T10:00:00Z');

function lock(env: string, holder: string, overrides: Partial<EnvLock> = {}): EnvLock {
  return { env, holder, holderKind: 'run', reason: null, sticky: false, since, ...overrides };
}

describeStore('environment locks', (ctx) => {
  test('a claimed lock reads back as claimed', async () => {
    const manual = lock('stg4', 'slack:U123', { holderKind: 'person', reason: 'demo for sales', sticky: true });
    expect(await ctx.store.claimLock(manual)).toBe(true);
    expect(await ctx.store.getLock('stg4')).toEqual(manual);
    expect(await ctx.store.getLock('stg5')).toBeNull();
  });

  test('of two replicas racing 20 claims on one environment, exactly one wins and its lock is the one kept', async () => {
    const other = await ctx.open();
    const winners = await race(20, (i) => (i % 2 ? other : ctx.store).claimLock(lock('stg4', `run-${i}`)));
    expect(winners).toHaveLength(1);
    expect((await ctx.store.getLock('stg4'))!.holder).toBe(`run-${winners[0]}`);
  });

  test('a sticky lock is never overwritten, by a run or another person', async () => {
    const manual = lock('stg4', 'slack:U123', { holderKind: 'person', reason: 'debugging', sticky: true });
    await ctx.store.claimLock(manual);
    expect(await ctx.store.claimLock(lock('stg4', 'run-1'))).toBe(false);
    expect(await ctx.store.claimLock(lock('stg4', 'slack:U999', { holderKind: 'person', sticky: true }))).toBe(false);
    expect(await ctx.store.getLock('stg4')).toEqual(manual);
  });

  test('the holder claiming again is told it holds the lock, without changing it', async () => {
    await ctx.store.claimLock(lock('stg4', 'run-1'));
    expect(await ctx.store.claimLock(lock('stg4', 'run-1', { since: new Date('2026-11-21T12:00:00Z') }))).toBe(true);
    expect((await ctx.store.getLock('stg4'))!.since).toEqual(since);
    // Same name, different kind of holder: not the same holder.
    expect(await ctx.store.claimLock(lock('stg4', 'run-1', { holderKind: 'person' }))).toBe(false);
  });

  test('releaseLock with the wrong holder is refused; the right holder or no holder releases', async () => {
    await ctx.store.claimLock(lock('stg4', 'run-1'));
    await ctx.store.claimLock(lock('stg5', 'run-2'));
    expect(await ctx.store.releaseLock('stg4', 'run-2')).toBe(false);
    expect((await ctx.store.getLock('stg4'))!.holder).toBe('run-1');
    expect(await ctx.store.releaseLock('stg4', 'run-1')).toBe(true);
    expect(await ctx.store.getLock('stg4')).toBeNull();
    expect(await ctx.store.releaseLock('stg4', 'run-1')).toBe(false);
    expect(await ctx.store.releaseLock('stg5')).toBe(true);
    expect(await ctx.store.claimLock(lock('stg4', 'run-3'))).toBe(true);
  });

  test('listLocks lists every lock by environment', async () => {
    await ctx.store.claimLock(lock('stg7', 'run-1'));
    await ctx.store.claimLock(lock('stg2', 'slack:U1', { holderKind: 'person', sticky: true }));
    const locks = await ctx.store.listLocks();
    expect(locks.map((l) => [l.env, l.holder, l.sticky])).toEqual([
      ['stg2', 'slack:U1', true],
      ['stg7', 'run-1', false],
    ]);
  });
});
