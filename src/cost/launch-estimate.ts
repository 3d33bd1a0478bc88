// What a run will cost, said when it is asked for: the environment's hourly rate (instance type,
// root volume and, when it is reached by its public address, a public IPv4 address, at the same prices
// the sweeper and the cost report use) times how long it will be up: a usual run of the environment
// (its step history) plus the keep asked for.
import { hourlyCost } from './estimate.ts';
import type { Prices } from './prices.ts';

export interface EstimatedEnvironment {
  region: string;
  instanceType: string;
  rootVolume: { type: string; sizeGb: number };
  ssh: { host: string };
}

export interface CostEstimate {
  /** USD per hour while the environment is up; null when part of it has no price. */
  hourlyUsd: number | null;
  /** How long a run of the environment is usually up without a keep (ms); null: no history yet. */
  runMs: number | null;
  /** The keep asked for (ms). */
  keepMs: number;
  /** hourly x (run + keep); null when the rate is unknown, or there is neither history nor a keep to go by. */
  expectedUsd: number | null;
  /** What could not be priced. */
  unknown: string[];
}

export function estimateLaunchCost(prices: Prices, env: EstimatedEnvironment, runMs: number | null, keepMs: number): CostEstimate {
  const instance = hourlyCost(prices, { kind: 'instance', region: env.region, instanceType: env.instanceType, publicIpv4: env.ssh.host.includes('{publicIp}') });
  const volume = hourlyCost(prices, { kind: 'volume', region: env.region, volumeType: env.rootVolume.type, sizeGb: env.rootVolume.sizeGb });
  const unknown = [instance.unknown, volume.unknown].filter((u): u is string => u !== null);
  const hourlyUsd = instance.hourly === null || volume.hourly === null ? null : instance.hourly + volume.hourly;
  const upMs = runMs === null && keepMs === 0 ? null : (runMs ?? 0) + keepMs;
  const expectedUsd = hourlyUsd === null || upMs === null ? null : (hourlyUsd * upMs) / 3_600_000;
  return { hourlyUsd, runMs, keepMs, expectedUsd, unknown };
}
