import { expect, test } from 'vitest';
import { poolHoursPerWeek, poolStandingCost } from '../../src/cost/pool-cost.ts';
import { createPrices } from '../../src/cost/prices.ts';

const env = {
  region: 'eu-west-1',
  instanceType: 't3.2xlarge',
  rootVolume: { type: 'gp3', sizeGb: 200 },
  ssh: { host: '{publicIp}' },
};

test('a stopped pool costs its root volumes only, all day', () => {
  const cost = poolStandingCost(createPrices(), { ...env, warmPool: { size: 2, mode: 'stopped' } });
  // 200 GB x $0.088/GB-month / 730 h x 2 members.
  expect(cost.hourlyUsd).toBeCloseTo((2 * 200 * 0.088) / 730, 6);
  expect(cost.hoursPerWeek).toBe(168);
  expect(cost.perDayUsd).toBeCloseTo((24 * 2 * 200 * 0.088) / 730, 6);
});

test('a running pool adds instance hours and the public IPv4, only in its hours', () => {
  const hours = [{ from: 7, to: 19, days: [1, 2, 3, 4, 5] }];
  const cost = poolStandingCost(createPrices(), { ...env, warmPool: { size: 2, mode: 'running', hours } });
  const member = 0.3648 + 0.005 + (200 * 0.088) / 730;
  expect(cost.hoursPerWeek).toBe(60);
  expect(cost.hourlyUsd).toBeCloseTo(2 * member, 6);
  expect(cost.perDayUsd).toBeCloseTo((2 * member * 60) / 7, 6);
});

test('overlapping windows count once; an unpriced type is said, not zero', () => {
  expect(poolHoursPerWeek([{ from: 8, to: 12, days: [1] }, { from: 10, to: 14, days: [1] }])).toBe(6);
  const cost = poolStandingCost(createPrices(), { ...env, instanceType: 'z9.huge', warmPool: { size: 1, mode: 'running' } });
  expect(cost.perDayUsd).toBeNull();
  expect(cost.unknown).toEqual(['no price for z9.huge in eu-west-1']);
});
