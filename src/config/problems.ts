// Turns validation issues into the lines `stagebot config check` prints: `path.to.key: what is wrong (what is valid)`.
// Fields with a specific rule carry their own message (see fields.ts); this error map words the
// generic ones (wrong type, too few items, unknown keys) the same way.

import type * as z from 'zod';
import { describeValue, expected } from './messages.ts';
import { closestKey } from './suggest.ts';

export interface Problem {
  path: readonly PropertyKey[];
  message: string;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.');
}

export function formatProblem(problem: Problem): string {
  return `${formatPath(problem.path)}: ${problem.message}`;
}

/** Marks the catch-all schema of strict objects (fields.ts), so its issues read as unknown keys. */
export interface UnknownKeyParams {
  unknownKey: true;
  known: readonly string[];
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const guess = closestKey(key, known);
  return guess ? `unknown key (did you mean ${guess}?)` : `unknown key (valid: ${known.join(', ')})`;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a map',
  array: 'a list',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function typeName(expectedType: string): string {
  return TYPE_NAMES[expectedType] ?? expectedType;
}

function isUnknownKeyParams(params: unknown): params is UnknownKeyParams {
  return typeof params === 'object' && params !== null && (params as Partial<UnknownKeyParams>).unknownKey === true;
}

/** Per-parse error map: schema-level messages take precedence, so this only words what they leave generic. */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return expected(typeName(issue.expected), issue.input);
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'must not be empty';
      return `expected at least ${String(issue.minimum)}, got ${describeValue(issue.input)}`;
    case 'too_big':
      if (issue.origin === 'array') return `expected at most ${String(issue.maximum)} items`;
      return `expected at most ${String(issue.maximum)}, got ${describeValue(issue.input)}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.join(', ')}`;
    case 'invalid_key':
      return issue.issues[0]?.message ?? `invalid key ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join(', ')}, got ${describeValue(issue.input)}`;
    case 'invalid_union': {
      // A discriminated union whose discriminator matched no option, e.g. `kind: docker`.
      const key = issue.discriminator;
      const options: readonly unknown[] = 'options' in issue && Array.isArray(issue.options) ? issue.options : [];
      if (key !== undefined && options.length > 0 && typeof issue.input === 'object' && issue.input !== null) {
        const got = (issue.input as Record<string, unknown>)[key];
        const valid = options.map(String).join(', ');
        return got === undefined ? `missing (valid: ${valid})` : `unknown ${key} ${describeValue(got)} (valid: ${valid})`;
      }
      return `expected a valid value, got ${describeValue(issue.input)}`;
    }
    case 'custom': {
      const key = issue.path?.at(-1);
      if (isUnknownKeyParams(issue.params) && key !== undefined) return unknownKeyMessage(String(key), issue.params.known);
      return undefined;
    }
    default:
      return undefined;
  }
};

export function problemsFromIssues(issues: readonly z.core.$ZodIssue[]): Problem[] {
  return issues.map((issue) => ({ path: issue.path, message: issue.message }));
}
