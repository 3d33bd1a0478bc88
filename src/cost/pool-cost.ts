// What a warm pool costs while it waits (issue 14): a stopped member bills only its root volume (EBS
// is charged while an instance is stopped; an auto-assigned public IPv4 is released on stop), a
// running one the instance hours too. Spread over a day by the share of the week the pool is kept
// full (its `hours`): outside them it drains, and a drained pool costs nothing.
import { hourlyCost } from './estimate.ts';
import type { Prices } from './prices.ts';

export interface PooledEnvironment {
  region: string;
  instanceType: string;
  rootVolume: { type: string; sizeGb: number };
  ssh: { host: string };
  warmPool: { size: number; mode: 'stopped' | 'running'; hours?: { from: number; to: number; days: number[] }[] };
}

export interface PoolStandingCost {
  /** USD per hour for the whole pool while it is full; null when part of it has no price. */
  hourlyUsd: number | null;
  /** Hours a week the pool is kept full (168 without `hours`). */
  hoursPerWeek: number;
  /** USD per day, averaged over a week; null when unpriced. */
  perDayUsd: number | null;
  unknown: string[];
}

/** Hours of the week inside the windows (overlaps counted once). */
export function poolHoursPerWeek(hours: PooledEnvironment['warmPool']['hours']): number {
  if (!hours) return 168;
  let n = 0;
  for (let day = 0; day < 7; day++) {
    for (let hour = 0; hour < 24; hour++) if (hours.some((w) => w.days.includes(day) && hour >= w.from && hour < w.to)) n++;
  }
  return n;
}

export function poolStandingCost(prices: Prices, env: PooledEnvironment): PoolStandingCost {
  const volume = hourlyCost(prices, { kind: 'volume', region: env.region, volumeType: env.rootVolume.type, sizeGb: env.rootVolume.sizeGb });
  const lines = [volume];
  if (env.warmPool.mode === 'running') {
    lines.push(hourlyCost(prices, { kind: 'instance', region: env.region, instanceType: env.instanceType, publicIpv4: env.ssh.host.includes('{publicIp}') }));
  }
  const unknown = lines.map((l) => l.unknown).filter((u): u is string => u !== null);
  const member = lines.some((l) => l.hourly === null) ? null : lines.reduce((sum, l) => sum + (l.hourly ?? 0), 0);
  const hourlyUsd = member === null ? null : member * env.warmPool.size;
  const hoursPerWeek = poolHoursPerWeek(env.warmPool.hours);
  const perDayUsd = hourlyUsd === null ? null : (hourlyUsd * hoursPerWeek) / 7;
  return { hourlyUsd, hoursPerWeek, perDayUsd, unknown };
}
