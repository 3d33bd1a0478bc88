// Splits command text into words, the way a shell would split it but without doing anything else:
// quotes group words and are removed; there is no escaping, globbing, variable or command
// substitution, and no operator (`;`, `|`, `&&`, `>`…) means anything: they are ordinary characters,
// and the field validators reject them where they do not belong.

import { CommandError } from '../errors.ts';
import { echo } from './echo.ts';

// Chat clients turn "straight" quotes into typographic ones (Slack on macOS and iOS does); both
// kinds are accepted, and any quote of the same family closes, since clients are not consistent
// about which of the pair they produce.
const DOUBLE_QUOTES = new Set(['"', '\u201c', '\u201d', '\u201e']);
const SINGLE_QUOTES = new Set(["'", '\u2018', '\u2019', '\u201a']);
const SPACES = /[ \t\n\r\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/;
const LINE_BREAK = /[\n\r]/;

// Chat clients also turn a typed `--` into an em or en dash; at the start of an unquoted word that
// can only have been meant as `--`.
const DASHES = new Set(['\u2013', '\u2014']);

export interface TokenizeOptions {
  /** Read a leading `—` or `–` of an unquoted word as `--`. */
  smartDashes?: boolean;
}

/** The words of `text`. Throws CommandError on an unclosed quote or a quoted value spanning lines. */
export function tokenize(text: string, options: TokenizeOptions = {}): string[] {
  const words: string[] = [];
  let word = '';
  /** The word as typed, quotes included, for error messages. */
  let raw = '';
  let inWord = false;
  let quote: Set<string> | null = null;
  for (const ch of text) {
    if (quote && LINE_BREAK.test(ch)) {
      throw new CommandError(`the quoted value in ${echo(raw)} runs onto the next line; close the quote on the same line`);
    }
    if (!SPACES.test(ch) || quote) raw += ch;
    if (quote) {
      if (quote.has(ch)) quote = null;
      else word += ch;
    } else if (DOUBLE_QUOTES.has(ch) || SINGLE_QUOTES.has(ch)) {
      quote = DOUBLE_QUOTES.has(ch) ? DOUBLE_QUOTES : SINGLE_QUOTES;
      inWord = true;
    } else if (SPACES.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      raw = '';
      inWord = false;
    } else {
      word += !inWord && options.smartDashes && DASHES.has(ch) ? '--' : ch;
      inWord = true;
    }
  }
  if (quote) throw new CommandError(`the quote in ${echo(raw)} is never closed; end the value with a matching quote`);
  if (inWord) words.push(word);
  return words;
}
