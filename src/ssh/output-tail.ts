// The end of a command's output, for reports: a long `docker compose pull` must not grow
// memory without bound, and people read the last lines of a failure, not the first.

export const TAIL_MAX_BYTES = 4_096;
export const TAIL_MAX_LINES = 40;

export class OutputTail {
  readonly #maxBytes: number;
  readonly #maxLines: number;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #dropped = false;

  constructor(maxBytes = TAIL_MAX_BYTES, maxLines = TAIL_MAX_LINES) {
    this.#maxBytes = maxBytes;
    this.#maxLines = maxLines;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    // Compact only once we hold twice the bound, so each byte is copied a bounded number of times.
    if (this.#bytes > this.#maxBytes * 2) {
      const all = Buffer.concat(this.#chunks);
      this.#chunks = [all.subarray(all.length - this.#maxBytes)];
      this.#bytes = this.#maxBytes;
      this.#dropped = true;
    }
  }

  /** The last lines as text. A UTF-8 character cut by the byte bound is dropped, not garbled. */
  text(): string {
    const all = Buffer.concat(this.#chunks);
    let start = Math.max(0, all.length - this.#maxBytes);
    const cut = start > 0 || this.#dropped;
    // Skip UTF-8 continuation bytes (10xxxxxx) at a cut.
    if (cut) while (start < all.length && ((all[start] ?? 0) & 0xc0) === 0x80) start++;
    let text = all.subarray(start).toString('utf8');
    const lines = text.split('\n');
    // A trailing newline ends the last line; it does not start another one.
    const hasFinalNewline = text.endsWith('\n');
    const count = hasFinalNewline ? lines.length - 1 : lines.length;
    if (count > this.#maxLines) {
      text = lines.slice(count - this.#maxLines).join('\n');
    }
    return text;
  }
}
