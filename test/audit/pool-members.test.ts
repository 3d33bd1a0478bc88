// The sweeper and the warm pool: a member's assets are never orphans while the pool wants them; an
// evicted, unwanted or unknown member's are, and the reason says why; a claimed member's follow the run
// that claimed it.
import { describe, expect, test } from 'vitest';
import { TAG } from '../../src/aws/tags.ts';
import type { SweepReport } from '../../src/audit/index.ts';
import { DAY, ENVS, HOUR, World, makeConfig } from './support/world.ts';

const READY = 'stg1-20261121-aa0001';
const PREPARING = 'stg1-20261121-aa0002';
const EVICTING = 'stg1-20261121-aa0003';
const CLAIMED = 'stg1-20261121-aa0004';
const CLAIMER_DONE = 'stg1-20261121-bb0004';
const FORGOTTEN = 'stg1-20261121-aa0005';
const OTHER_ENV = 'stg4-20261121-aa0006';

const POOL = { warmPool: { size: 2, baseRef: 'main' }, serviceUpdate: { full: [{ name: 'f', run: 'true' }], warm: [{ name: 'w', run: 'true' }] } };

function orphan(report: SweepReport, id: string) {
  return report.orphans.find((o) => o.id === id);
}

async function poolWorld() {
  const w = await World.create({ config: makeConfig({ environments: { stg1: POOL } }) });
  const now = w.now.getTime();
  const member = async (id: string, env: 'stg1' | 'stg4', state: 'ready' | 'preparing' | 'evicting' | 'claimed', runState: 'succeeded' | 'running') => {
    await w.run(id, runState, runState === 'running' ? { leaseAgoMs: 10_000 } : { finishedAgoMs: 2 * HOUR });
    await w.store.insertPoolMember({ id, env, region: ENVS[env].region, ami: ENVS[env].ami, baseRef: 'main', createdAt: new Date(now - 3 * HOUR) });
    if (state !== 'preparing') await w.store.markPoolMemberReady(id, new Date(now - 2 * HOUR));
    if (state === 'evicting') await w.store.evictPoolMember(id, 'older than maxAge 12h');
    return w.instance(id, { env, state: 'stopped', extraTags: { [TAG.pool]: env }, expiresAt: new Date(now + DAY) });
  };
  const ids = {
    ready: await member(READY, 'stg1', 'ready', 'succeeded'),
    preparing: await member(PREPARING, 'stg1', 'preparing', 'running'),
    evicting: await member(EVICTING, 'stg1', 'evicting', 'succeeded'),
    claimed: await member(CLAIMED, 'stg1', 'ready', 'succeeded'),
    otherEnv: await member(OTHER_ENV, 'stg4', 'ready', 'succeeded'),
    forgotten: '',
  };
  await w.run(CLAIMER_DONE, 'failed', { finishedAgoMs: 3 * HOUR });
  expect(await w.store.claimPoolMember('stg1', CLAIMER_DONE, { ami: ENVS.stg1.ami, builtAfter: new Date(0) }, new Date(now - 3 * HOUR))).not.toBeNull();
  // Its replenish run finished long ago and the store no longer has the member.
  await w.run(FORGOTTEN, 'succeeded', { finishedAgoMs: 5 * HOUR });
  ids.forgotten = w.instance(FORGOTTEN, { env: 'stg1', state: 'stopped', extraTags: { [TAG.pool]: 'stg1' }, expiresAt: new Date(now + DAY) });
  return { w, ids };
}

describe('pool members and the orphan rules', () => {
  test('ready and preparing members of a pool are kept; evicted, unwanted, unknown and abandoned-claim ones are orphans with their reason', async () => {
    const { w, ids } = await poolWorld();
    const r = await w.sweep();
    expect(r.errors).toEqual([]);
    // READY and CLAIMED's member share the AMI: whichever the claim took, one stays ready.
    const claimedMember = (await w.store.poolMemberClaimedBy(CLAIMER_DONE))!;
    const stillReady = claimedMember.id === READY ? CLAIMED : READY;
    const idOf = (member: string) => (member === READY ? ids.ready : ids.claimed);
    expect(orphan(r, idOf(stillReady))).toBeUndefined();
    expect(orphan(r, ids.preparing)).toBeUndefined();
    expect(orphan(r, ids.evicting)?.reason).toMatch(new RegExp(`^pool member ${EVICTING} of stg1 was evicted: older than maxAge 12h; instance still stopped`));
    expect(orphan(r, ids.otherEnv)?.reason).toMatch(new RegExp(`^pool member ${OTHER_ENV} of stg4, which has no warmPool any more`));
    expect(orphan(r, idOf(claimedMember.id))?.reason).toMatch(new RegExp(`^pool member ${claimedMember.id} was claimed by ${CLAIMER_DONE}: run ${CLAIMER_DONE} failed 3 hours ago`));
    expect(orphan(r, ids.forgotten)?.reason).toMatch(new RegExp(`^pool member ${FORGOTTEN} of stg1 is not in the store's pool .*run ${FORGOTTEN} succeeded 5 hours ago`));
  });

  test('an environment that gains a pool keeps its members; evicted ones stay orphans', async () => {
    const { w, ids } = await poolWorld();
    w.config = makeConfig({ environments: { stg1: POOL, stg4: POOL } });
    const r = await w.sweep();
    expect(orphan(r, ids.otherEnv)).toBeUndefined();
    expect(orphan(r, ids.evicting)).toBeDefined();
  });

  test('reap: evicted, unwanted and abandoned members are reaped after the grace period; a ready member is not, even past its expires-at tag', async () => {
    const { w, ids } = await poolWorld();
    const claimedMember = (await w.store.poolMemberClaimedBy(CLAIMER_DONE))!;
    const readyId = claimedMember.id === READY ? ids.claimed : ids.ready;
    const first = await w.sweep({ mode: 'reap' });
    expect(first.reaped).toEqual([]);
    expect(first.orphans.map((o) => o.id)).not.toContain(readyId);
    w.cloud.advance(DAY + HOUR);
    const late = await w.sweep({ mode: 'reap' });
    expect(late.errors).toEqual([]);
    const reaped = late.reaped.map((x) => x.id);
    expect(reaped).toEqual(expect.arrayContaining([ids.evicting, ids.otherEnv, ids.forgotten, claimedMember.id === READY ? ids.ready : ids.claimed]));
    expect(reaped).not.toContain(readyId);
    expect(w.alive(readyId)).toBe(true);
    expect(w.alive(ids.evicting)).toBe(false);
  });
});
