// Characters that have no business in a command: they hide what the command says (bidi overrides,
// zero-width characters), or they are control bytes. Rejected before anything is parsed.

import { CommandError } from '../errors.ts';

export const MAX_INPUT_LENGTH = 1000;

const FORMAT = /^\p{Cf}$/u;

/**
 * C0 controls (tab, LF and CR only where `allowLineBreaks`), DEL, C1 controls, bidi embeddings,
 * overrides and isolates, the invisible direction marks, zero-width characters, the word joiner, BOM,
 * and every other invisible formatting character (Unicode category Cf).
 */
function describe(code: number, allowLineBreaks: boolean): string | null {
  if (code === 0x09 || code === 0x0a || code === 0x0d) return allowLineBreaks ? null : 'a tab or line break';
  if (code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f)) return 'a control character';
  if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) || code === 0x200e || code === 0x200f || code === 0x061c) {
    return 'an invisible text-direction character';
  }
  if ((code >= 0x200b && code <= 0x200d) || code === 0x2060 || code === 0xfeff) return 'an invisible zero-width character';
  if (code >= 0xd800 && code <= 0xdfff) return 'a broken (unpaired surrogate) character';
  // Soft hyphens, invisible operators, Unicode tag characters (used to smuggle hidden text)…
  if (FORMAT.test(String.fromCodePoint(code))) return 'an invisible formatting character';
  return null;
}

function hex(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Throws a CommandError naming the first forbidden character by code point (never echoing it) and its position. */
export function checkHygiene(text: string, options: { allowLineBreaks: boolean }): void {
  if (text.length > MAX_INPUT_LENGTH) {
    const length = Array.from(text).length;
    if (length > MAX_INPUT_LENGTH) throw new CommandError(`the command is ${length} characters long; the limit is ${MAX_INPUT_LENGTH}`);
  }
  let position = 0;
  for (const ch of text) {
    position += 1;
    const code = ch.codePointAt(0) ?? 0;
    const what = describe(code, options.allowLineBreaks);
    if (what) {
      throw new CommandError(`the command contains ${what} (${hex(code)}) at position ${position}; retype it without hidden characters`);
    }
  }
}
