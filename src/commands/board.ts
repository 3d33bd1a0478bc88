// What is going on across the environments: who holds each one, what runs there, the queue, the
// last day's runs and what the last sweep found. `list` and `status <env>` show part of it; Slack's
// App Home (and the web dashboard to come) show all of it.
import type { Config } from '../config/index.ts';
import type { EnvLock } from '../domain/lock.ts';
import type { Run } from '../domain/run.ts';
import type { Store } from '../store/index.ts';
import { forecastQueue } from '../pipeline/queue-forecast.ts';
import { DEFAULT_STEP_NAMES } from '../pipeline/step-order.ts';
// The module itself, not the audit's index: `list` must not load the sweeper and the AWS SDK with it.
import { poolStandings, type PoolStanding, type PoolStandingStore } from '../audit/pool-standing.ts';
import { createPrices, type Prices } from '../cost/prices.ts';
import { queueText } from './estimate-text.ts';

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

/** `list`'s answer: each environment, the queue with where each run stands, and the warm pools. */
export interface EnvironmentsBoard {
  environments: EnvView[];
  queue: Run[];
  /** Per queued run: `position 2 · starts in ~12 min` (or why there is no telling). Plain text. */
  queueNotes: Record<string, string>;
  /** Each environment with a warm pool: its standing cost and what a warm launch saves. */
  pools: PoolStanding[];
}

export interface Board {
  environments: EnvView[];
  queue: Run[];
  /** Per queued run: `position 2 · starts in ~12 min` (or why there is no telling). Plain text. */
  queueNotes: Record<string, string>;
  /** Each environment with a warm pool: its standing cost and what a warm launch saves. */
  pools: PoolStanding[];
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

export type BoardStore = Pick<Store, 'listLocks' | 'listRuns' | 'queuedRuns' | 'listSweeps' | 'stepHistory' | 'getSteps'> & PoolStandingStore;

/** Where each queued run stands, in the words every front uses (a person's lock on its environment: until they unlock it). */
export function queueNotes(queue: readonly Run[], etas: ReadonlyMap<string, number | null>, locks: readonly EnvLock[]): Record<string, string> {
  const notes: Record<string, string> = {};
  queue.forEach((run, i) => {
    const held = run.env ? locks.find((l) => l.env === run.env && l.holderKind === 'person') : undefined;
    notes[run.id] = queueText(i + 1, etas.get(run.id) ?? null, held?.holder ?? null);
  });
  return notes;
}

const DAY_MS = 86_400_000;

export class BoardReader {
  private readonly store: BoardStore;
  private readonly config: Config;
  private readonly now: () => Date;
  private readonly prices: Prices;

  constructor(store: BoardStore, config: Config, now: () => Date, prices: Prices = createPrices(config.pricing)) {
    this.store = store;
    this.config = config;
    this.now = now;
    this.prices = prices;
  }

  /** Each configured environment (or only `only`) with its lock and active run, the queue with its ETAs, and the warm pools. */
  async environments(only: string | null): Promise<EnvironmentsBoard> {
    const [lockList, active, forecast, pools] = await Promise.all([
      this.store.listLocks(),
      this.store.listRuns({ states: ['running', 'tearing_down', 'kept'] }),
      forecastQueue(this.store, this.config, DEFAULT_STEP_NAMES, this.now()),
      poolStandings(this.store, this.config, this.prices, only),
    ]);
    const locks = new Map(lockList.map((l) => [l.env, l]));
    const environments: EnvView[] = Object.values(this.config.environments)
      .filter((e) => only === null || e.name === only)
      .map((e) => ({ env: e.name, region: e.region, lock: locks.get(e.name) ?? null, run: active.find((r) => r.env === e.name) ?? null }));
    return { environments, queue: forecast.queue, queueNotes: queueNotes(forecast.queue, forecast.etas, lockList), pools };
  }

  async board(recentMs = DAY_MS): Promise<Board> {
    const now = this.now();
    const [locks, active, forecast, recent, sweeps, pools] = await Promise.all([
      this.store.listLocks(),
      this.store.listRuns({ states: ['running', 'tearing_down', 'kept'] }),
      forecastQueue(this.store, this.config, DEFAULT_STEP_NAMES, now),
      this.store.listRuns({ since: new Date(now.getTime() - recentMs), limit: 100 }),
      this.lastSweeps(),
      poolStandings(this.store, this.config, this.prices),
    ]);
    const queue = forecast.queue;
    const queueStarts = new Map([...forecast.etas].map(([id, ms]) => [id, ms === null ? null : new Date(now.getTime() + ms)] as const));
    const lockOf = new Map(locks.map((l) => [l.env, l]));
    return {
      environments: Object.values(this.config.environments).map((e) => ({ env: e.name, region: e.region, lock: lockOf.get(e.name) ?? null, run: active.find((r) => r.env === e.name) ?? null })),
      queue,
      queueStarts,
      queueNotes: queueNotes(queue, forecast.etas, locks),
      pools,
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
