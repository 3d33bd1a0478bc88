// At most one flush per key per interval, latest state wins: Slack allows about one update per
// message per second, and a run emits events much faster than that. A flush that Slack rate-limits
// says how long to wait; the key then waits that long and flushes whatever is current by then.
// (GitHub's front batches differently: see src/bot/github/windowed-refresher.ts — one window per run
// and no retries, since a failed GitHub write is simply redone by the run's next event.)

export interface FlushOutcome {
  /** Slack said 429: flush this key again, not before this many milliseconds. */
  retryAfterMs?: number;
  /** Flush again after this many milliseconds even if nothing new is scheduled (elapsed-time refresh). */
  againInMs?: number;
}

export type Flush<K> = (key: K) => Promise<FlushOutcome | void>;

export interface PacedFlusherOptions {
  /** Least time between the starts of two flushes of one key. */
  minIntervalMs: number;
  /** Consecutive failures after which a key is dropped until it is scheduled again. */
  maxFailures?: number;
  now?: () => number;
  onError?: (key: unknown, err: unknown) => void;
}

interface KeyState {
  timer: NodeJS.Timeout | null;
  dueAt: number;
  running: Promise<void> | null;
  dirty: boolean;
  lastStart: number;
  notBefore: number;
  failures: number;
}

export class PacedFlusher<K> {
  private readonly keys = new Map<K, KeyState>();
  private readonly flush: Flush<K>;
  private readonly minIntervalMs: number;
  private readonly maxFailures: number;
  private readonly now: () => number;
  private readonly onError: (key: unknown, err: unknown) => void;
  private stopped = false;

  constructor(flush: Flush<K>, opts: PacedFlusherOptions) {
    this.flush = flush;
    this.minIntervalMs = opts.minIntervalMs;
    this.maxFailures = opts.maxFailures ?? 5;
    this.now = opts.now ?? Date.now;
    this.onError = opts.onError ?? (() => undefined);
  }

  /** Asks for a flush of `key` no sooner than `delayMs` from now (and never sooner than the interval allows). */
  schedule(key: K, delayMs = 0): void {
    if (this.stopped) return;
    const state = this.state(key);
    state.dirty = true;
    // A flush in flight picks the key up again when it ends.
    if (state.running) return;
    this.arm(key, state, delayMs);
  }

  /** Keys with a flush pending or in flight. */
  get pending(): number {
    let n = 0;
    for (const s of this.keys.values()) if (s.running || s.timer) n += 1;
    return n;
  }

  /** Resolves once `key` (or every key) has nothing pending or in flight. Bounded by `withinMs`. */
  async idle(key?: K, withinMs = 10_000): Promise<void> {
    const deadline = this.now() + withinMs;
    for (;;) {
      const states = key === undefined ? [...this.keys.values()] : [this.keys.get(key)].filter((s) => s !== undefined);
      const busy = states.filter((s) => s.running || s.timer);
      if (busy.length === 0) return;
      if (this.now() > deadline) throw new Error(`flushes still pending after ${withinMs} ms`);
      await Promise.race([...busy.flatMap((s) => (s.running ? [s.running] : [])), new Promise((r) => setTimeout(r, 20))]);
    }
  }

  /** Cancels what is scheduled and waits for flushes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const s of this.keys.values()) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = null;
    }
    await Promise.allSettled([...this.keys.values()].flatMap((s) => (s.running ? [s.running] : [])));
  }

  /** Forgets a key (its run has ended and its last flush is done). */
  forget(key: K): void {
    const s = this.keys.get(key);
    if (s && !s.running && !s.timer) this.keys.delete(key);
  }

  private state(key: K): KeyState {
    let s = this.keys.get(key);
    if (!s) {
      s = { timer: null, dueAt: 0, running: null, dirty: false, lastStart: -Infinity, notBefore: 0, failures: 0 };
      this.keys.set(key, s);
    }
    return s;
  }

  private arm(key: K, state: KeyState, delayMs: number): void {
    const now = this.now();
    const dueAt = Math.max(now + delayMs, state.lastStart + this.minIntervalMs, state.notBefore);
    // The earliest allowed time wins: a later request must not push back one already due sooner.
    if (state.timer && state.dueAt <= dueAt) return;
    if (state.timer) clearTimeout(state.timer);
    state.dueAt = dueAt;
    state.timer = setTimeout(() => this.fire(key, state), Math.max(0, dueAt - now));
    state.timer.unref?.();
  }

  private fire(key: K, state: KeyState): void {
    state.timer = null;
    if (this.stopped) return;
    state.dirty = false;
    state.lastStart = this.now();
    state.running = (async () => {
      let again: number | null = null;
      let backoff = 0;
      try {
        const outcome = await this.flush(key);
        state.failures = 0;
        if (outcome?.retryAfterMs !== undefined) {
          state.notBefore = this.now() + outcome.retryAfterMs;
          state.dirty = true;
        }
        if (outcome?.againInMs !== undefined) again = outcome.againInMs;
      } catch (err) {
        state.failures += 1;
        this.onError(key, err);
        // A failing Slack is retried, more slowly each time, then given up until new news arrives.
        if (state.failures < this.maxFailures) {
          state.dirty = true;
          backoff = this.minIntervalMs * 2 ** (state.failures - 1);
        }
      } finally {
        state.running = null;
      }
      if (this.stopped) return;
      if (state.dirty) this.arm(key, state, backoff);
      else if (again !== null) {
        state.dirty = true;
        this.arm(key, state, again);
      }
    })();
  }
}
