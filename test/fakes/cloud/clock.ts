// The fake cloud's time. It never moves by itself: tests advance it, or hand `advance` to a waiter as its `sleep`.

export class FakeClock {
  #ms: number;

  constructor(start: Date = new Date()) {
    this.#ms = start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  nowMs(): number {
    return this.#ms;
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`FakeClock.advance: ${ms} is not a non-negative number of milliseconds`);
    this.#ms += ms;
  }

  set(date: Date): void {
    this.#ms = date.getTime();
  }

  /** A `sleep` for waiters: resolves at once, having moved fake time forward. */
  readonly sleep = async (ms: number): Promise<void> => {
    this.advance(ms);
  };
}
