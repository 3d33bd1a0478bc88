// What is going on across the environments: who holds each one, what runs there, the queue, the
// last day's runs and what the last sweep found. `list` and `status <env>` show part of it; Slack's
// App Home (and the web dashboard to come) show all of it.
import type { Config } from '../config/index.ts';
import type { EnvLock } from '../domain/lock.ts';
import type { Run } from '../domain/run.ts';
import type { Store } from '../store/index.ts';
import { forecastQueue } from '../pipeline/queue-forecast.ts';
import { DEFAULT_STEP_NAMES } from '../pipeline/step-order.ts';

export interface EnvView {
  env: string;
  region: string;
  lock: EnvLock | null;
  run: Run | null;
}

/** The last complete sweep's count of orphans and what they cost a day. */
export interface OrphanSummary {
  count: number;
  dailyUsd: number | null;
  /** When the sweep that counted them finished. */
  at: Date;
}

export interface Board {
  environments: EnvView[];
  queue: Run[];
  /** When each queued run should start, by the environments' step history (src/pipeline/queue-forecast.ts); null: no telling. */
  queueStarts: ReadonlyMap<string, Date | null>;
  /** Runs created in the last `recentMs`, newest first (at most 100). */
  recent: Run[];
  /** The last complete sweep's orphans; null when no sweep has listed everything yet. */
  orphans: OrphanSummary | null;
  /** The latest sweep, when it could not list everything: when, and what it could not see (one line each). */
  sweepIncomplete: { at: Date; problems: string[] } | null;
  now: Date;
}

export type BoardStore = Pick<Store, 'listLocks' | 'listRuns' | 'queuedRuns' | 'listSweeps' | 'stepHistory' | 'getSteps'>;

const DAY_MS = 86_400_000;

export class BoardReader {
  private readonly store: BoardStore;
  private readonly config: Config;
  private readonly now: () => Date;

  constructor(store: BoardStore, config: Config, now: () => Date) {
    this.store = store;
    this.config = config;
    this.now = now;
  }

  /** Each configured environment (or only `only`) with its lock and active run, and the queue. */
  async environments(only: string | null): Promise<{ environments: EnvView[]; queue: Run[] }> {
    const locks = new Map((await this.store.listLocks()).map((l) => [l.env, l]));
    const active = await this.store.listRuns({ states: ['running', 'tearing_down', 'kept'] });
    const environments: EnvView[] = Object.values(this.config.environments)
      .filter((e) => only === null || e.name === only)
      .map((e) => ({ env: e.name, region: e.region, lock: locks.get(e.name) ?? null, run: active.find((r) => r.env === e.name) ?? null }));
    return { environments, queue: await this.store.queuedRuns() };
  }

  async board(recentMs = DAY_MS): Promise<Board> {
    const now = this.now();
    const [locks, active, forecast, recent, sweeps] = await Promise.all([
      this.store.listLocks(),
      this.store.listRuns({ states: ['running', 'tearing_down', 'kept'] }),
      forecastQueue(this.store, this.config, DEFAULT_STEP_NAMES, now),
      this.store.listRuns({ since: new Date(now.getTime() - recentMs), limit: 100 }),
      this.lastSweeps(),
    ]);
    const queue = forecast.queue;
    const queueStarts = new Map([...forecast.etas].map(([id, ms]) => [id, ms === null ? null : new Date(now.getTime() + ms)] as const));
    const lockOf = new Map(locks.map((l) => [l.env, l]));
    return {
      environments: Object.values(this.config.environments).map((e) => ({ env: e.name, region: e.region, lock: lockOf.get(e.name) ?? null, run: active.find((r) => r.env === e.name) ?? null })),
      queue,
      queueStarts,
      recent: [...recent].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()),
      ...sweeps,
      now,
    };
  }

  /** From the sweeper's summaries (src/audit/sweep.ts sweepSummary): an incomplete sweep's partial count is never shown as the count. */
  private async lastSweeps(): Promise<Pick<Board, 'orphans' | 'sweepIncomplete'>> {
    const finished = (await this.store.listSweeps(20)).filter((s) => s.finishedAt !== null && s.summary !== null);
    const isComplete = (s: (typeof finished)[number]) => s.summary?.complete !== false;
    const latest = finished[0];
    const problems = latest && !isComplete(latest) ? latest.summary?.incompleteLines : undefined;
    const sweepIncomplete = latest?.finishedAt && !isComplete(latest) ? { at: latest.finishedAt, problems: Array.isArray(problems) ? problems.map(String) : [] } : null;
    const sweep = finished.find(isComplete);
    const count = sweep?.summary?.orphans;
    const daily = sweep?.summary?.dailyCostUsd;
    if (!sweep?.finishedAt || typeof count !== 'number') return { orphans: null, sweepIncomplete };
    return { orphans: { count, dailyUsd: typeof daily === 'number' ? daily : null, at: sweep.finishedAt }, sweepIncomplete };
  }
}
