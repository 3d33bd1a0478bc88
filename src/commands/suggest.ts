// "Did you mean …?" for mistyped commands, environments, browsers and flags.

import { createRequire } from 'node:module';

// Loaded the first time a suggestion is needed (a typo), not by every command that parses.
let levenshtein: ((a: string, b: string) => number) | null = null;
function distance(a: string, b: string): number {
  levenshtein ??= (createRequire(import.meta.url)('fastest-levenshtein') as { distance: (a: string, b: string) => number }).distance;
  return levenshtein(a, b);
}

const MAX_DISTANCE = 2;
/** Past this many equally close candidates a suggestion stops helping; the full list is shown anyway. */
const MAX_SUGGESTIONS = 4;

/**
 * True when `a` and `b` differ only in digits at the same places: `stg9` names another environment
 * than `stg4`, it is not a typo of it.
 */
function otherNumber(a: string, b: string): boolean {
  if (a.length !== b.length || a === b) return false;
  for (let i = 0; i < a.length; i += 1) {
    if (a[i] !== b[i] && !(/\d/.test(a[i] ?? '') && /\d/.test(b[i] ?? ''))) return false;
  }
  return true;
}

/**
 * The candidates closest to `input` (case-insensitively), at most MAX_DISTANCE edits away and fewer
 * edits than `input` has characters (so `x` does not "mean" `ls`), not counting names that differ only
 * in their numbers. Empty when none is close, or when too many tie for a suggestion to help.
 */
export function closest(input: string, candidates: readonly string[]): string[] {
  const needle = input.toLowerCase();
  if (needle.length === 0 || needle.length > 64) return [];
  let best = Infinity;
  let found: string[] = [];
  for (const candidate of candidates) {
    const hay = candidate.toLowerCase();
    const d = distance(needle, hay);
    if (d > MAX_DISTANCE || d >= needle.length || otherNumber(needle, hay)) continue;
    if (d < best) {
      best = d;
      found = [candidate];
    } else if (d === best && !found.includes(candidate)) {
      found.push(candidate);
    }
  }
  return found.length > MAX_SUGGESTIONS ? [] : found;
}

/** `did you mean `stg4`?` or `did you mean `stg1` or `stg2`?`, or null when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[], render: (c: string) => string = (c) => c): string | null {
  const found = closest(input, candidates);
  if (found.length === 0) return null;
  return `did you mean ${orList(found.map((c) => `\`${render(c)}\``))}?`;
}

/** `a`, `a or b`, `a, b or c`. */
export function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}
