// The daily sweep on the configured cron schedule (sweeper.schedule in sweeper.timeZone). Every replica
// runs the schedule; each occurrence is claimed in the store first, so exactly one of them sweeps.

import { createTask } from 'node-cron';
import type { Config } from '../config/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/index.ts';

export const SWEEP_SLOT = 'sweep';

export interface SweepScheduleOptions {
  config: Config;
  store: Store;
  /** This replica's id (as for run leases). */
  ownerId: string;
  /** The sweep itself; `occurrence` is the scheduled minute it runs for. */
  run: (occurrence: Date) => Promise<unknown>;
  logger?: Logger | undefined;
}

/** The scheduled time truncated to the minute: the same on every replica, whenever its timer fired. */
export function occurrenceOf(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 60_000) * 60_000);
}

/** Runs `run` for `occurrence` if this replica is the first to claim it; true when it ran. */
export async function runIfClaimed(store: Store, ownerId: string, occurrence: Date, run: (occurrence: Date) => Promise<unknown>): Promise<boolean> {
  const slot = occurrenceOf(occurrence);
  if (!(await store.claimCronSlot(SWEEP_SLOT, slot, ownerId))) return false;
  await run(slot);
  return true;
}

/** Starts the schedule; the returned function stops it. */
export function startSweepSchedule(opts: SweepScheduleOptions): () => Promise<void> {
  const { schedule, timeZone } = opts.config.sweeper;
  const task = createTask(
    schedule,
    async (ctx) => {
      try {
        const ran = await runIfClaimed(opts.store, opts.ownerId, ctx.date, opts.run);
        if (!ran) opts.logger?.debug({ occurrence: occurrenceOf(ctx.date) }, 'sweep occurrence claimed by another replica');
      } catch (err) {
        // A failed sweep must not stop the schedule; the next occurrence tries again.
        opts.logger?.error({ err }, 'scheduled sweep failed');
      }
    },
    { timezone: timeZone, name: `stagebot-sweep-${opts.ownerId}`, noOverlap: true },
  );
  void task.start();
  return async () => {
    await task.destroy();
  };
}
