// Work a webhook starts but does not wait for: GitHub wants an answer within 10 s, and a command's
// API calls (permission, pull request, reactions, replies) need not hold the response. At most
// `concurrency` run at once, so a burst of webhooks is answered promptly and reaches the GitHub API
// as a steady stream rather than a spike (which is also what GitHub's secondary rate limits ask).
// Tracked so that stopping the front waits for it (bounded) instead of cutting it off.
import pLimit, { type LimitFunction } from 'p-limit';

export class BackgroundTasks {
  readonly #tasks = new Set<Promise<void>>();
  readonly #onError: (err: unknown) => void;
  readonly #limit: LimitFunction;

  constructor(onError: (err: unknown) => void, concurrency = 4) {
    this.#onError = onError;
    this.#limit = pLimit(concurrency);
  }

  run(work: () => Promise<void>): void {
    const task: Promise<void> = this.#limit(work)
      .catch((err) => this.#onError(err))
      .finally(() => this.#tasks.delete(task));
    this.#tasks.add(task);
  }

  get size(): number {
    return this.#tasks.size;
  }

  /** Resolves when every task has ended, or after `timeoutMs`, whichever comes first. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    // Tasks may start others (a launch schedules a refresh), so look again until none is left.
    const deadline = performance.now() + timeoutMs;
    while (this.#tasks.size > 0 && performance.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.#tasks]), timeout]);
    }
    clearTimeout(timer);
  }
}
