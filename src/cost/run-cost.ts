// What a run cost: its instance and volume hours at the environment's prices, from the store's record
// of its assets. The run's final report, `status`, `assets` and the `cost` report all use this one
// figure; callers read the assets (and the launch step's facts) and pass them in.
import type { Asset } from '../domain/asset.ts';
import { accrued, hourlyCost, type Priced } from './estimate.ts';
import type { Prices } from './prices.ts';

export interface RunCost {
  usd: number | null;
  lines: { what: string; hours: number; usd: number | null }[];
  unknown: string[];
}

/** What pricing needs of the run's environment (an EnvironmentConfig fits). */
export interface PricedEnvironment {
  instanceType: string;
  rootVolume: { type: string; sizeGb: number };
}

/** What the launch step found out (its outputs), when it ran: the real instance type, a public IP. */
export interface LaunchFacts {
  instanceType?: unknown;
  publicIp?: unknown;
}

export function runCost(prices: Prices, env: PricedEnvironment | undefined, assets: readonly Asset[], launch: LaunchFacts, now: Date): RunCost {
  const cost: RunCost = { usd: 0, lines: [], unknown: [] };
  if (!env) return cost;
  const nowMs = now.getTime();
  for (const asset of assets) {
    let priced: Priced;
    if (asset.kind === 'instance') {
      priced = { kind: 'instance', region: asset.region, instanceType: String(launch.instanceType ?? env.instanceType), publicIpv4: Boolean(launch.publicIp) };
    } else if (asset.kind === 'volume') {
      priced = { kind: 'volume', region: asset.region, volumeType: env.rootVolume.type, sizeGb: env.rootVolume.sizeGb };
    } else continue;
    const ms = (asset.deletedAt?.getTime() ?? nowMs) - asset.createdAt.getTime();
    const line = hourlyCost(prices, priced);
    const usd = accrued(line.hourly, ms);
    cost.lines.push({ what: `${asset.kind} ${asset.id}`, hours: ms / 3_600_000, usd });
    if (line.unknown) cost.unknown.push(line.unknown);
    // Known costs still add up; what could not be priced is listed rather than guessed.
    if (usd !== null) cost.usd = (cost.usd ?? 0) + usd;
  }
  return cost;
}
