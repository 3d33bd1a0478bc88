import type { Config } from './types.ts';

/**
 * Every region stagebot works in: the environments' regions, `aws.extraRegions` and the artifact
 * bucket's (so the sweeper lists it), sorted, once each.
 */
export function allRegions(config: Config): string[] {
  const bucket = config.artifacts.storage === 's3' && config.artifacts.s3 ? [config.artifacts.s3.region] : [];
  const regions = new Set([...Object.values(config.environments).map((env) => env.region), ...config.aws.extraRegions, ...bucket, ...Object.values(config.images ?? {}).flatMap((i) => i.regions)]);
  return [...regions].sort();
}
