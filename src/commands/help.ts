// Help rendered from the grammar table, so it cannot drift from what the parser accepts. Plain text
// lines, no markup: each front wraps it its own way (a Slack code block, a terminal, a PR comment).

import { DURATION_HINT } from '../domain/duration.ts';
import { PR_VERBS, flagUsage, usageLine, verbSpec, type ArgSpec, type FlagSpec, type VerbSpec } from './grammar.ts';
import { join, overviewText } from './help-overview.ts';
import type { CommandContext } from './types.ts';
import { validateVerb } from './validate.ts';

export interface HelpOptions {
  /** Written before every command: `/stage`, `/e2e`, `stagebot`. Default: none, or `/e2e` for PR comments. */
  prefix?: string;
  /** Only what a pull-request comment accepts, written the way it is written there. */
  prComment?: boolean;
  /** When given, the valid environments and browsers are listed next to the arguments that take them. */
  context?: CommandContext;
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

function argRow(arg: ArgSpec, ctx: CommandContext | undefined): [string, string] {
  const known = ctx && (arg.kind === 'env' || arg.kind === 'run-or-env') ? ` (environments: ${ctx.environments.join(', ')})` : '';
  return [arg.name, `${arg.description}${known}`];
}

function flagRow(flag: FlagSpec, ctx: CommandContext | undefined): [string, string] {
  const known = ctx && flag.value === 'browsers' ? ` (browsers: ${ctx.browsers.join(', ')})` : '';
  return [flagUsage(flag), `${flag.description}${known}`];
}

function verbHelp(spec: VerbSpec, prefix: string, pr: boolean, ctx: CommandContext | undefined): string {
  const form = pr ? spec.pr : undefined;
  const args = form ? form.args : spec.args;
  const lines = [`Usage: ${join(prefix, usageLine(spec, pr ? 'pr' : 'full'))}`, form ? form.summary : spec.summary];
  if (args.length > 0) lines.push('', 'Arguments:', ...table(args.map((a) => argRow(a, ctx))));
  if (spec.flags.length > 0) lines.push('', 'Flags:', ...table(spec.flags.map((f) => flagRow(f, ctx))));
  const groups = [...new Set(spec.flags.map((f) => f.group).filter((g) => g !== undefined))];
  for (const group of groups) {
    const names = spec.flags.filter((f) => f.group === group).map((f) => `--${f.name}`);
    lines.push(`  (${names.join(' and ')} exclude each other)`);
  }
  for (const flag of spec.flags.filter((f) => f.requires)) lines.push(`  (--${flag.name} only with --${flag.requires})`);
  if (spec.flags.some((f) => f.value === 'duration')) lines.push(`  DURATION is ${DURATION_HINT}.`);
  if (!form && spec.notes) lines.push('', ...spec.notes);
  const examples = form ? form.examples : spec.examples;
  lines.push('', 'Examples:', ...examples.map((e) => `  ${join(prefix, e)}`));
  return lines.join('\n');
}

/**
 * Help for one verb (`helpText('launch')`) or the list of all (`helpText()`). Throws CommandError
 * for an unknown verb, with a did-you-mean.
 */
export function helpText(verb?: string | null, options: HelpOptions = {}): string {
  const pr = options.prComment ?? false;
  const prefix = options.prefix ?? (pr ? '/e2e' : '');
  if (verb === undefined || verb === null) return overviewText(prefix, pr);
  return verbHelp(verbSpec(validateVerb(verb, pr ? PR_VERBS : undefined)), prefix, pr, options.context);
}
