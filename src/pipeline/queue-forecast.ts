// The queue's ETAs from what the store holds now: who holds each environment and how far their run
// has got, each environment's step history, and the queue in order. queue-eta.ts does the arithmetic.
import type { Config } from '../config/index.ts';
import type { Run } from '../domain/run.ts';
import type { Store } from '../store/index.ts';
import { queueEtas, type EtaEnvironment } from './queue-eta.ts';
import { loadStepHistory, remainingRunMs, typicalRunMs, type StepHistory } from './step-history.ts';

export type ForecastStore = Pick<Store, 'listLocks' | 'listRuns' | 'queuedRuns' | 'stepHistory' | 'getSteps'>;

export interface QueueForecast {
  /** Run id -> ms from now until it should start (null: cannot tell). */
  etas: Map<string, number | null>;
  queue: Run[];
}

/** How long until `holder` lets its environment go, by `history`; null: no telling. */
export async function holderRemainingMs(store: Pick<Store, 'getSteps'>, holder: Run, history: StepHistory, stepNames: readonly string[], now: Date): Promise<number | null> {
  const teardown = history.p50.get('teardown') ?? null;
  if (holder.state === 'kept') {
    const left = holder.expiresAt ? Math.max(0, holder.expiresAt.getTime() - now.getTime()) : null;
    return left === null || teardown === null ? null : left + teardown;
  }
  if (holder.state === 'tearing_down') return teardown;
  const steps = await store.getSteps(holder.id);
  const done = new Set(steps.filter((s) => s.state !== 'pending' && s.state !== 'running').map((s) => s.name));
  const running = steps.find((s) => s.state === 'running' && s.startedAt && s.name !== 'prepare-tests');
  const left = remainingRunMs(history, stepNames, done, running?.startedAt ? { step: running.name, elapsedMs: now.getTime() - running.startedAt.getTime() } : null);
  return left === null ? null : left + (holder.options.keepMs ?? 0);
}

export async function forecastQueue(store: ForecastStore, config: Config, stepNames: readonly string[], now: Date): Promise<QueueForecast> {
  const [locks, active, queue] = await Promise.all([store.listLocks(), store.listRuns({ states: ['running', 'tearing_down', 'kept'] }), store.queuedRuns()]);
  const wanted = new Set<string>();
  for (const r of queue) for (const env of r.env ? [r.env] : (r.options.pool ?? config.pool)) wanted.add(env);
  const environments: EtaEnvironment[] = [];
  for (const env of wanted) {
    if (!config.environments[env]) continue;
    const lock = locks.find((l) => l.env === env);
    const history = await loadStepHistory(store, env);
    const typicalMs = typicalRunMs(history, stepNames);
    let freeInMs: number | null = 0;
    if (lock?.holderKind === 'run') {
      const holder = active.find((r) => r.id === lock.holder);
      freeInMs = holder ? await holderRemainingMs(store, holder, history, stepNames, now) : typicalMs;
    }
    environments.push({ env, heldByPerson: lock?.holderKind === 'person', freeInMs, typicalMs });
  }
  const etas = queueEtas(
    environments,
    queue.map((r) => ({ id: r.id, env: r.env, pool: r.options.pool ?? config.pool, keepMs: r.options.keepMs ?? 0 })),
  );
  return { etas, queue };
}
