// Every AWS request of one sweep goes through here: counted (retries included, from the SDK's own
// `$metadata.attempts`), and retried a few more rounds when AWS still throttles after the SDK's adaptive
// retries gave up, so one busy region slows the sweep down instead of failing it.

import { isThrottle } from './errors.ts';

interface WithMetadata {
  $metadata?: { attempts?: number };
}

export interface AwsCallsOptions {
  /** Rounds of retry after the SDK gave up on a throttle. Default 3. */
  throttleRounds?: number;
  /** First pause before such a round; doubles each round. Default 2 s. */
  throttleBackoffMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
}

/** Most pages any listing is followed for: a bound on every loop, far above any real account. */
export const MAX_PAGES = 10_000;

export class AwsCalls {
  #count = 0;
  readonly #rounds: number;
  readonly #backoff: number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly signal: AbortSignal | undefined;

  constructor(opts: AwsCallsOptions = {}) {
    this.#rounds = opts.throttleRounds ?? 3;
    this.#backoff = opts.throttleBackoffMs ?? 2_000;
    this.#sleep = opts.sleep ?? ((ms, signal) => new Promise((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
    }));
    this.signal = opts.signal;
  }

  /** Requests made so far. */
  get count(): number {
    return this.#count;
  }

  /** Sends one request (`send` gets the abort signal); counts every attempt the SDK made. */
  async send<T extends WithMetadata>(send: (opts: { abortSignal?: AbortSignal }) => Promise<T>): Promise<T> {
    for (let round = 0; ; round++) {
      this.signal?.throwIfAborted();
      try {
        const out = await send(this.signal ? { abortSignal: this.signal } : {});
        this.#count += out.$metadata?.attempts ?? 1;
        return out;
      } catch (err) {
        this.#count += (err as WithMetadata).$metadata?.attempts ?? 1;
        if (!isThrottle(err) || round >= this.#rounds) throw err;
        await this.#sleep(this.#backoff * 2 ** round, this.signal);
      }
    }
  }

  /** Every page of a listing, in order: `fetch(token)` returns the page's items and the next token. */
  async pages<I>(fetch: (token: string | undefined) => Promise<{ items: I[]; next: string | undefined }>): Promise<{ items: I[]; pages: number }> {
    const items: I[] = [];
    let token: string | undefined;
    for (let page = 1; page <= MAX_PAGES; page++) {
      const out = await fetch(token);
      items.push(...out.items);
      // AWS ends some listings with an empty token rather than none (the Tagging API does).
      if (!out.next) return { items, pages: page };
      token = out.next;
    }
    throw new Error(`stopped after ${MAX_PAGES} pages: the listing did not end`);
  }
}

/** `items` in slices of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
