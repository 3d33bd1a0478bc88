// The command language: one grammar, one parser, one help text for Slack, PR comments and the CLI.

export { COST_GROUPS, GRAMMAR, PR_VERBS, VERBS, usageLine } from './grammar.ts';
export type { ArgKind, ArgSpec, CostGroup, FlagSpec, PrForm, ValueKind, Verb, VerbSpec } from './grammar.ts';
export { parseArgv, parseCommand, parsePrComment, parseSlackText, parseText } from './parse.ts';
export { helpText } from './help.ts';
export type { HelpOptions } from './help.ts';
export { echo } from './echo.ts';
export { FIELD_PATTERNS } from './validate.ts';
export { MAX_INPUT_LENGTH } from './hygiene.ts';
export { isRunId, newRunId, RUN_ID_EXAMPLE, RUN_ID_PATTERN } from '../domain/run-id.ts';
export type * from './types.ts';
