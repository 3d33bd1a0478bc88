import { expect, test } from 'vitest';
import type { PoolMember } from '../../src/domain/pool.ts';
import { planPool } from '../../src/pipeline/pool-plan.ts';

const NOW = new Date('2026-12-04T12:00:00Z');
const H = 3_600_000;
const ago = (h: number) => new Date(NOW.getTime() - h * H);

function member(id: string, state: PoolMember['state'], over: Partial<PoolMember> = {}): PoolMember {
  return {
    id, env: 'stg1', region: 'us-east-1', instanceId: `i-${id}`, ami: 'ami-new', baseRef: 'main', state,
    createdAt: ago(2), builtAt: state === 'preparing' ? null : ago(1), claimedBy: null, claimedAt: null, evictReason: null, ...over,
  };
}

const base = { ami: 'ami-new', size: 2, maxAgeMs: 24 * H, inHours: true, prepareTimeoutMs: H, now: NOW };

test('an empty pool prepares its size; claimed and evicting members neither count nor are touched', () => {
  expect(planPool({ ...base, members: [] })).toEqual({ evict: [], prepare: 2 });
  const members = [member('c', 'claimed', { claimedBy: 'run-1' }), member('e', 'evicting')];
  expect(planPool({ ...base, members })).toEqual({ evict: [], prepare: 2 });
});

test('evicts on AMI change, on age and an abandoned preparation, each with its reason, and prepares replacements', () => {
  const members = [
    member('old-ami', 'ready', { ami: 'ami-old' }),
    member('aged', 'ready', { builtAt: ago(25) }),
    member('stuck', 'preparing', { createdAt: ago(2) }),
    member('fine', 'ready'),
  ];
  expect(planPool({ ...base, members })).toEqual({
    evict: [
      { id: 'old-ami', reason: "built from ami-old, but the environment's AMI is now ami-new" },
      { id: 'aged', reason: `older than maxAge 1d (ready since ${ago(25).toISOString()})` },
      { id: 'stuck', reason: 'its preparation did not finish within 1h (abandoned)' },
    ],
    prepare: 1,
  });
});

test('sheds excess preparing members first, then the oldest ready; outside its hours the pool drains', () => {
  const members = [
    member('r-old', 'ready', { builtAt: ago(5) }),
    member('r-new', 'ready', { builtAt: ago(1) }),
    member('p', 'preparing', { createdAt: ago(0.1) }),
  ];
  expect(planPool({ ...base, size: 1, members })).toEqual({
    evict: [
      { id: 'p', reason: "in excess of the pool's size 1" },
      { id: 'r-old', reason: "in excess of the pool's size 1" },
    ],
    prepare: 0,
  });
  expect(planPool({ ...base, inHours: false, members }).evict.map((e) => [e.id, e.reason])).toEqual([
    ['p', "outside the pool's hours"],
    ['r-old', "outside the pool's hours"],
    ['r-new', "outside the pool's hours"],
  ]);
});
