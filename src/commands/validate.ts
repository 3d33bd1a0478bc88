// Field validators: each turns one typed value into a trusted one or throws a one-line CommandError
// that says what was wrong and what is valid. What passes here matches the field's allowlist below.

import { DURATION_HINT, formatDuration, parseDuration } from '../domain/duration.ts';
import { ENV_NAME_PATTERN, RUN_ID_EXAMPLE, isRunId } from '../domain/run-id.ts';
import { CommandError } from '../errors.ts';
import { echo } from './echo.ts';
import { VERBS, type Verb } from './grammar.ts';
import { closest, didYouMean, orList } from './suggest.ts';
import type { CommandContext } from './types.ts';

export const MAX_REF_LENGTH = 200;
export const MAX_REASON_LENGTH = 200;

/** The allowlists every accepted value matches (the adversarial tests assert against these). */
export const FIELD_PATTERNS = {
  env: ENV_NAME_PATTERN,
  browser: ENV_NAME_PATTERN,
  ref: /^(?!-)[A-Za-z0-9._/-]{1,200}$/,
  reason: /^[^\p{C}]{1,200}$/u,
} as const;

const REF_CHAR = /^[A-Za-z0-9._/-]$/;

/**
 * `unknown environment `x`; known: a, b`, or with a suggestion `… — did you mean `y`? (known: a, b)`;
 * the list is left out when the suggestion already names every candidate.
 */
export function unknownValue(kind: string, token: string, candidates: readonly string[], label: string): CommandError {
  const list = candidates.length > 0 ? candidates.join(', ') : 'none';
  const near = closest(token, candidates);
  const hint = didYouMean(token, candidates);
  if (!hint) return new CommandError(`unknown ${kind} ${echo(token)}; ${label}: ${list}`);
  if (near.length === candidates.length) return new CommandError(`unknown ${kind} ${echo(token)} — ${hint}`);
  return new CommandError(`unknown ${kind} ${echo(token)} — ${hint} (${label}: ${list})`);
}

export function validateVerb(token: string, allowed: readonly Verb[] = VERBS): Verb {
  const verb = allowed.find((v) => v === token.toLowerCase());
  if (!verb) throw unknownValue('command', token, allowed, 'commands');
  return verb;
}

export function validateEnv(token: string, ctx: CommandContext): string {
  if (ctx.environments.includes(token) && ENV_NAME_PATTERN.test(token)) return token;
  throw unknownValue('environment', token, ctx.environments, 'known');
}

export function validateImage(token: string, ctx: CommandContext): string {
  const images = ctx.images ?? [];
  if (images.includes(token) && /^[a-z][a-z0-9-]{0,62}$/.test(token)) return token;
  if (images.length === 0) throw new CommandError(`unknown image ${echo(token)}; no images are configured (stagebot.yml \`images:\`)`);
  throw unknownValue('image', token, images, 'known');
}

/** `--ami`: `candidate`, or an AMI id. */
export function validateAmi(token: string): string {
  if (token === 'candidate' || /^ami-[0-9a-f]{8,17}$/.test(token)) return token;
  throw new CommandError(`${echo(token)} is not an AMI; give \`candidate\` or an AMI id like \`ami-0a1b2c3d4e5f60001\``);
}

export function validateRunId(token: string): string {
  if (isRunId(token)) return token;
  throw new CommandError(`${echo(token)} is not a run id; a run id looks like \`${RUN_ID_EXAMPLE}\``);
}

/** `status`'s argument: a known environment, else a run id; anything else is reported as the likelier mistake. */
export function validateRunOrEnv(token: string, ctx: CommandContext): { run: string | null; env: string | null } {
  if (ctx.environments.includes(token)) return { run: null, env: validateEnv(token, ctx) };
  if (isRunId(token)) return { run: token, env: null };
  // Something with a date-like part was meant as a run id; a short word was meant as an environment.
  if (/\d{6,}/.test(token)) validateRunId(token);
  const hint = didYouMean(token, ctx.environments);
  const known = ctx.environments.join(', ') || 'none';
  throw new CommandError(
    `${echo(token)} is neither an environment nor a run id${hint ? ` — ${hint}` : ''} (environments: ${known}; run ids look like \`${RUN_ID_EXAMPLE}\`)`,
  );
}

/** A `--browsers` value: known names, duplicates dropped, order kept. */
export function validateBrowsers(value: string, ctx: CommandContext): string[] {
  const known = ctx.browsers.join(', ') || 'none';
  if (value.trim() === '') throw new CommandError(`\`--browsers\` is empty; name one or more of: ${known}`);
  const names = value.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) {
    throw new CommandError(
      `${echo(`--browsers=${value}`)} has an empty browser name; separate names with single commas, e.g. \`--browsers=chrome,firefox\``,
    );
  }
  const unknown = names.filter((n) => !ctx.browsers.includes(n) || !ENV_NAME_PATTERN.test(n));
  const [first] = unknown;
  if (first !== undefined && unknown.length === 1) throw unknownValue('browser', first, ctx.browsers, 'known');
  if (unknown.length > 1) {
    const named = [...new Set(unknown)].map((n) => {
      const near = closest(n, ctx.browsers);
      return near.length === 1 ? `${echo(n)} (did you mean \`${near[0]}\`?)` : echo(n);
    });
    throw new CommandError(`unknown browsers ${named.join(', ')}; known: ${known}`);
  }
  return [...new Set(names)];
}

export interface DurationRules {
  maxMs?: number;
  /** Added to the "is zero" message, e.g. what leaving the flag out does instead. */
  zeroHint?: string;
}

/** A duration flag's value in milliseconds; `flag` is the name without dashes, for messages. */
export function validateDuration(flag: string, value: string, rules: DurationRules = {}): number {
  const shown = echo(`--${flag}=${value}`);
  const ms = parseDuration(value);
  if (ms === null) {
    if (/^\s*0+[smhdw]?(?:0+[smhdw])*\s*$/i.test(value)) {
      throw new CommandError(`${shown} is zero; use ${DURATION_HINT}${rules.zeroHint ? ` (${rules.zeroHint})` : ''}`);
    }
    throw new CommandError(`${shown} is not a duration; use ${DURATION_HINT}`);
  }
  if (rules.maxMs !== undefined && ms > rules.maxMs) {
    throw new CommandError(`${shown} is longer than the maximum, ${formatDuration(rules.maxMs)}`);
  }
  return ms;
}

/** Why `ref` is not a safe git ref, or null. Roughly `git check-ref-format`, over a strict character set. */
function refProblem(ref: string): string | null {
  const bad = Array.from(ref).find((c) => !REF_CHAR.test(c));
  if (bad !== undefined) return bad === ' ' ? 'it contains a space' : `${echo(bad)} is not allowed`;
  if (ref.startsWith('-')) return 'it starts with `-`';
  if (ref.startsWith('/') || ref.endsWith('/')) return 'it starts or ends with `/`';
  if (ref.includes('//')) return 'it contains `//`';
  if (ref.includes('..')) return 'it contains `..`';
  if (ref.endsWith('.')) return 'it ends with `.`';
  const parts = ref.split('/');
  if (parts.some((p) => p.startsWith('.'))) return 'a part of it starts with `.`';
  if (parts.some((p) => p.endsWith('.lock'))) return 'a part of it ends with `.lock`';
  return null;
}

/** A branch, tag or commit SHA that is safe to hand to git and to a shell as a single word. */
export function validateRef(value: string): string {
  const length = Array.from(value).length;
  if (length > MAX_REF_LENGTH) {
    throw new CommandError(`\`--ref\` is ${length} characters long; a ref is at most ${MAX_REF_LENGTH}`);
  }
  const problem = refProblem(value);
  if (problem) {
    throw new CommandError(
      `${echo(`--ref=${value}`)} is not a safe git ref (${problem}); use a branch, tag or commit SHA made of letters, digits and . _ - /`,
    );
  }
  return value;
}

/** Free one-line text, trimmed. */
export function validateReason(value: string): string {
  const text = value.trim();
  const length = Array.from(text).length;
  if (length === 0) throw new CommandError('`--reason` is empty; say why, e.g. `--reason="db migration test"`');
  if (length > MAX_REASON_LENGTH) {
    throw new CommandError(`\`--reason\` is ${length} characters long; keep it to ${MAX_REASON_LENGTH}`);
  }
  if (/\p{C}/u.test(text)) throw new CommandError('`--reason` contains a tab or control character; write it as plain text on one line');
  return text;
}

export const MAX_GREP_LENGTH = 200;

/** A retest's `--grep`: one line of plain text; passed on as data (an environment variable), never as shell words. */
export function validateGrep(value: string): string {
  const text = value.trim();
  const length = Array.from(text).length;
  if (length === 0) throw new CommandError('`--grep` is empty; give part of a test title, e.g. `--grep="checkout flow"`');
  if (length > MAX_GREP_LENGTH) throw new CommandError(`\`--grep\` is ${length} characters long; keep it to ${MAX_GREP_LENGTH}`);
  if (/\p{C}/u.test(text)) throw new CommandError('`--grep` contains a tab or control character; write it as plain text on one line');
  return text;
}

export function validateChoice<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  const choice = choices.find((c) => c === value);
  if (choice !== undefined) return choice;
  const hint = didYouMean(value, choices);
  const options = orList(choices);
  throw new CommandError(`${echo(`--${flag}=${value}`)} must be ${options}${hint ? ` — ${hint}` : ''}`);
}
