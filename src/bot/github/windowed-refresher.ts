// Many engine events, few GitHub writes: each key (a run) is refreshed at most once per window, a
// refresh asked for while one is in flight runs once more after it, and the last request is never
// dropped — the final state always reaches GitHub.

export class WindowedRefresher {
  readonly #windowMs: number;
  readonly #work: (key: string) => Promise<void>;
  readonly #onError: (key: string, err: unknown) => void;
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();

  constructor(windowMs: number, work: (key: string) => Promise<void>, onError: (key: string, err: unknown) => void) {
    this.#windowMs = windowMs;
    this.#work = work;
    this.#onError = onError;
  }

  /** Asks for a refresh of `key` within the window. */
  schedule(key: string): void {
    if (this.#timers.has(key)) return;
    if (this.#running.has(key)) {
      this.#again.add(key);
      return;
    }
    this.#timers.set(key, setTimeout(() => this.#start(key), this.#windowMs));
  }

  /** Keys with a refresh waiting or in flight. */
  get pending(): number {
    return new Set([...this.#timers.keys(), ...this.#running.keys(), ...this.#again]).size;
  }

  /** Runs every waiting refresh now and resolves when none is left (bounded by `maxRounds`). */
  async flush(maxRounds = 10): Promise<void> {
    for (let round = 0; round < maxRounds && this.pending > 0; round++) {
      for (const [key, timer] of this.#timers) {
        clearTimeout(timer);
        this.#start(key);
      }
      await Promise.allSettled([...this.#running.values()]);
    }
  }

  #start(key: string): void {
    this.#timers.delete(key);
    const done = this.#work(key)
      .catch((err) => this.#onError(key, err))
      .finally(() => {
        this.#running.delete(key);
        if (this.#again.delete(key)) this.schedule(key);
      });
    this.#running.set(key, done);
  }
}
