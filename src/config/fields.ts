// Building blocks for the schema: each validator says in its message what is valid, with an example.
// The specific fields live in aws-fields.ts, network-fields.ts, name-fields.ts and time-fields.ts.

import * as z from 'zod';
import { expected, unknownValue } from './messages.ts';
import type { UnknownKeyParams } from './problems.ts';

/** For refinements that must run even when a sibling is invalid, so one pass reports every problem. */
export const ALWAYS = { when: () => true } as const;

/**
 * A map whose unknown keys are reported one per key, with a did-you-mean (problems.ts words it).
 * zod's own strict mode reports them as one issue without the known keys, hence the catch-all.
 * The type is that of a strict object: an unknown key never reaches the output.
 */
export function strictObject<T extends z.ZodRawShape>(shape: T): z.ZodObject<T, z.core.$strict> {
  const known = Object.keys(shape);
  const params: UnknownKeyParams = { unknownKey: true, known };
  const error = (iss: { code?: string; input?: unknown }) =>
    iss.code === 'invalid_type' ? expected(`a map with keys ${known.join(', ')}`, iss.input) : undefined;
  return z.object(shape, { error }).catchall(z.custom(() => false, { params, abort: false })) as unknown as z.ZodObject<T, z.core.$strict>;
}

/** Non-empty text. */
export function text(hint: string) {
  const error = (iss: { input?: unknown }) => expected(hint, iss.input);
  return z.string({ error }).trim().min(1, { error });
}

export function matching(pattern: RegExp, hint: string) {
  const error = (iss: { input?: unknown }) => expected(hint, iss.input);
  return z.string({ error }).regex(pattern, { error });
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, what: string) {
  return z.enum(values, { error: (iss) => unknownValue(what, iss.input, values) });
}

/** Interpolated values are text; numbers written as `${PORT:-22}` still count as numbers. */
function numericText(value: unknown): unknown {
  return typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
}

export function int(min: number, max: number, hint = `a whole number from ${min} to ${max}`) {
  const error = (iss: { input?: unknown }) => expected(hint, iss.input);
  return z.preprocess(numericText, z.number({ error }).int({ error }).min(min, { error }).max(max, { error }));
}

/** A positive price in USD. */
export function price() {
  const hint = 'a price in USD like 0.3648';
  const error = (iss: { input?: unknown }) => expected(hint, iss.input);
  return z.preprocess(numericText, z.number({ error }).positive({ error }).finite({ error }));
}

export function bool() {
  const error = (iss: { input?: unknown }) => expected('true or false', iss.input);
  return z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean({ error }));
}

/** A map keyed by names; `what` reads like "environment names to their settings". */
export function namedMap<K extends z.core.$ZodType<string, string>, V extends z.ZodType>(key: K, value: V, what: string) {
  return z.record(key, value, {
    error: (iss) => (iss.code === 'invalid_type' ? expected(`a map of ${what}`, iss.input) : undefined),
  });
}

export function list<T extends z.ZodType>(item: T, hint: string, min = 0) {
  const error = (iss: { input?: unknown }) => expected(`a list of ${hint}`, iss.input);
  const schema = z.array(item, { error });
  return min > 0
    ? schema.min(min, { error: () => `list at least ${min === 1 ? 'one' : min} (${hint})` })
    : schema;
}
