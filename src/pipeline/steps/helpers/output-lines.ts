// A command's output as the run log shows it: whole lines, cleaned for chat (no terminal escapes,
// a progress bar's last state instead of its hundred redraws, bounded length), with the last lines
// kept for the report of a failure.
import { stripVTControlCharacters } from 'node:util';

const MAX_LINE_CHARS = 1_000;
/** A "line" that never ends (a binary blob, a spinner without newlines) is cut here to bound memory. */
const MAX_PARTIAL_CHARS = 64 * 1_024;
export const TAIL_LINES = 40;

export function cleanLine(raw: string): string {
  // A carriage return redraws the line on a terminal: what a person would see is the last redraw.
  const redraws = raw.replace(/\r+$/, '').split('\r');
  let line = stripVTControlCharacters(redraws[redraws.length - 1] ?? '');
  if (line.length > MAX_LINE_CHARS) line = `${line.slice(0, MAX_LINE_CHARS)}…`;
  return line;
}

export class OutputLines {
  readonly #onLine: (line: string) => void;
  readonly #maxTail: number;
  readonly #partial = new Map<string, string>();
  readonly #tail: string[] = [];

  constructor(onLine: (line: string) => void, maxTail = TAIL_LINES) {
    this.#onLine = onLine;
    this.#maxTail = maxTail;
  }

  /** A chunk of one stream; streams are split separately so their lines never mix mid-line. */
  write(chunk: string, stream = 'stdout'): void {
    const text = (this.#partial.get(stream) ?? '') + chunk;
    const parts = text.split('\n');
    let rest = parts.pop() ?? '';
    for (const part of parts) this.#line(part);
    if (rest.length > MAX_PARTIAL_CHARS) {
      this.#line(rest);
      rest = '';
    }
    this.#partial.set(stream, rest);
  }

  /** Ends every stream: a last line without a newline still counts. */
  flush(): void {
    for (const [stream, rest] of this.#partial) {
      if (rest !== '') this.#line(rest);
      this.#partial.set(stream, '');
    }
  }

  /** A line of our own (a progress note) that belongs in the log and the tail. */
  note(line: string): void {
    this.#line(line);
  }

  /** The last lines, oldest first, or null when there were none. */
  tail(): string | null {
    return this.#tail.length === 0 ? null : this.#tail.join('\n');
  }

  #line(raw: string): void {
    const line = cleanLine(raw);
    this.#tail.push(line);
    if (this.#tail.length > this.#maxTail) this.#tail.shift();
    this.#onLine(line);
  }
}
