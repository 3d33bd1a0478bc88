import type { Config } from './types.ts';

/** Every region stagebot works in: the environments' regions and `aws.extraRegions`, sorted, once each. */
export function allRegions(config: Config): string[] {
  const regions = new Set([...Object.values(config.environments).map((env) => env.region), ...config.aws.extraRegions]);
  return [...regions].sort();
}
