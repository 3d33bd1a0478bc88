// The work a command or click does after its ack, a few at a time and one start per loop turn. The
// store is synchronous on SQLite, so fifty launches arriving together would otherwise hold the event
// loop back to back and the fifty-first request would wait for all of them before its ack; this way
// acks are answered between the jobs and the work drains behind them.
import pLimit from 'p-limit';
import type { Logger } from '../../observability/logger.ts';
import { Turns } from './turns.ts';

export class AfterAck {
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly logger: Logger;
  private readonly running = new Set<Promise<void>>();
  private readonly turns: Turns;

  constructor(logger: Logger, turns: Turns, concurrency = 8) {
    this.limit = pLimit(concurrency);
    this.logger = logger;
    this.turns = turns;
  }

  /** Queues `job`; it never throws into the caller (the job reports its own errors to Slack). */
  run(what: string, job: () => Promise<void>): void {
    const done = this.limit(async () => {
      // Requests already waiting on the socket are acknowledged before this job takes the loop.
      await this.turns.next();
      await job();
    }).catch((err: unknown) => this.logger.error({ err, what }, 'Slack work after the ack failed'));
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }

  /**
   * A long wait that follows a command's answer (a teardown to its end): tracked like the jobs, so
   * `idle` and shutdown see it, but outside the limit, so it never holds other commands back.
   */
  follow(what: string, job: () => Promise<void>): void {
    const done = job().catch((err: unknown) => this.logger.error({ err, what }, 'Slack work after the ack failed'));
    this.running.add(done);
    void done.finally(() => this.running.delete(done));
  }

  get pending(): number {
    return this.running.size;
  }

  /** Resolves when every queued job has finished (bounded). */
  async idle(withinMs = 30_000): Promise<void> {
    const deadline = performance.now() + withinMs;
    while (this.running.size > 0) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.running.size} Slack jobs still running after ${withinMs} ms`);
      await Promise.race([Promise.allSettled([...this.running]), new Promise((r) => setTimeout(r, left).unref())]);
    }
  }
}
