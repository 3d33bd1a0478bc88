// The configuration's public API. Everything outside src/config receives a typed Config from here.

export { loadConfig, exampleWarning, DEFAULT_CONFIG_FILE, EXAMPLE_CONFIG_PATH } from './load.ts';
export type { LoadedConfig, LoadOptions } from './load.ts';
export { parseConfig } from './parse.ts';
export { summarizeConfig } from './summary.ts';
export { configWarnings } from './warnings.ts';
export { allRegions } from './regions.ts';
export { parseTargetGroupArn, isRegion } from './aws-fields.ts';
export type { TargetGroupArnParts } from './aws-fields.ts';
export { DEFAULTS, STEP_NAMES, VOLUME_TYPES } from './defaults.ts';
export type * from './types.ts';
