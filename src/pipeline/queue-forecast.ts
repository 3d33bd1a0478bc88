// The queue's ETAs from what the store holds now: who holds each environment and how far their run
// has got, each environment's step history, and the queue in order. queue-eta.ts does the arithmetic.
import type { Config } from '../config/index.ts';
import { imageRunStepNames } from '../domain/image.ts';
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
    // An image's lock (`image:NAME`) is held by its bakes and promotions: their own steps tell how long.
    const image = env.startsWith('image:') ? config.images[env.slice('image:'.length)] : undefined;
    if (!config.environments[env] && !image) continue;
    const namesOf = (kind: string): readonly string[] => (image ? (imageRunStepNames(kind) ?? stepNames) : stepNames);
    const lock = locks.find((l) => l.env === env);
    const history = await loadStepHistory(store, env);
    // An image's history mixes bakes and promotions (both end in teardown): a kind whose own first step
    // never finished there has no usual length, rather than a teardown's.
    const known = (kind: string): boolean => !image || history.p50.has(namesOf(kind)[0] ?? '');
    // One usual length per environment: for an image, that of the kind of the first run queued for it.
    const nextKind = queue.find((r) => r.env === env)?.kind ?? 'launch';
    const typicalMs = known(nextKind) ? typicalRunMs(history, namesOf(nextKind)) : null;
    let freeInMs: number | null = 0;
    if (lock?.holderKind === 'run') {
      const holder = active.find((r) => r.id === lock.holder);
      freeInMs = !holder ? typicalMs : known(holder.kind) ? await holderRemainingMs(store, holder, history, namesOf(holder.kind), now) : null;
    }
    environments.push({ env, heldByPerson: lock?.holderKind === 'person', freeInMs, typicalMs });
  }
  const etas = queueEtas(
    environments,
    queue.map((r) => ({ id: r.id, env: r.env, pool: r.options.pool ?? config.pool, keepMs: r.options.keepMs ?? 0 })),
  );
  return { etas, queue };
}
