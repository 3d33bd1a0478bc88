// What a test process prints: each line cleaned for chat (no terminal escapes, no password,
// bounded length) and the last lines kept for the result's detail.

import { stripVTControlCharacters } from 'node:util';

const MAX_LINE_CHARS = 1_000;
const REDACTED = '[redacted]';
/** Shorter secrets would redact ordinary words; such a password is a problem of its own. */
const MIN_SECRET_LENGTH = 4;

export class TestOutput {
  readonly #lines: string[] = [];
  readonly #maxLines: number;
  readonly #secrets: string[];

  constructor(opts: { maxLines?: number; secrets?: (string | undefined)[] } = {}) {
    this.#maxLines = opts.maxLines ?? 50;
    this.#secrets = (opts.secrets ?? []).filter((s): s is string => s !== undefined && s.length >= MIN_SECRET_LENGTH);
  }

  /** `text` with every secret replaced. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.replaceAll(secret, REDACTED);
    return out;
  }

  /** Cleans `raw`, remembers it, and returns the cleaned line. */
  push(raw: string): string {
    let line = this.redact(stripVTControlCharacters(raw).replace(/\r$/, ''));
    if (line.length > MAX_LINE_CHARS) line = `${line.slice(0, MAX_LINE_CHARS)}…`;
    this.#lines.push(line);
    if (this.#lines.length > this.#maxLines) this.#lines.shift();
    return line;
  }

  /** The last `n` lines (all kept ones by default). */
  last(n = this.#maxLines): string[] {
    return this.#lines.slice(-n);
  }
}
