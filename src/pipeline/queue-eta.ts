// When queued runs may start: the one place the estimate is made, for the CLI's wait, the launch
// acknowledgement on every front, and the dashboard's queue. Each environment frees up when the run
// holding it is done (its usual remaining steps, from step history, plus its keep), and the queue takes
// its runs in order, each holding the environment for a usual run plus its own keep. A person's lock
// means no telling; an environment without history, too.
import { median } from './step-history.ts';

export interface EtaEnvironment {
  env: string;
  /** A person holds it (a sticky lock): nothing starts before they unlock it. */
  heldByPerson: boolean;
  /**
   * How long until the run holding it lets it go (ms, its keep included), 0 when free, null when
   * there is no telling (no history). Callers compute it with remainingRunMs or a kept run's expiry.
   */
  freeInMs: number | null;
  /** How long one run usually holds it without a keep (ms); null: no history. */
  typicalMs: number | null;
}

export interface EtaQueued {
  id: string;
  /** Its environment, or null for a pool launch (it takes the first of `pool` to free up). */
  env: string | null;
  pool: readonly string[];
  /** How long it keeps the environment after its tests (ms). */
  keepMs: number;
}

/** Run id -> milliseconds from now until it should start (null: cannot tell), in queue order. */
export function queueEtas(environments: readonly EtaEnvironment[], queue: readonly EtaQueued[]): Map<string, number | null> {
  const etas = new Map<string, number | null>();
  const freeAt = new Map<string, number | null>();
  const typical = new Map<string, number | null>();
  for (const e of environments) {
    freeAt.set(e.env, e.heldByPerson ? null : e.freeInMs);
    typical.set(e.env, e.typicalMs);
  }
  for (const run of queue) {
    const candidates = run.env ? [run.env] : run.pool;
    let best: string | null = null;
    for (const env of candidates) {
      const at = freeAt.get(env);
      if (at === null || at === undefined) continue;
      if (best === null || at < (freeAt.get(best) ?? Infinity)) best = env;
    }
    const start = best === null ? null : freeAt.get(best)!;
    const holds = best === null ? null : typical.get(best);
    etas.set(run.id, start ?? null);
    // Once a run takes an environment with no usual length, the next one there cannot be told.
    if (best !== null) freeAt.set(best, start === null || holds === null || holds === undefined ? null : start + holds + run.keepMs);
  }
  return etas;
}

export interface QueueEtaInput {
  /** 1-based place in the queue. */
  position: number;
  /** How long recent runs of the environment took from start to finish (ms), newest first. */
  recentDurationsMs: readonly number[];
  /** How long the run now holding the environment has been going (ms); null when none does. */
  currentElapsedMs: number | null;
  /** A person holds the environment (a sticky lock): nothing starts before they unlock it. */
  heldByPerson: boolean;
}

/** One environment's queue by whole-run lengths (the same model as queueEtas): ms until the run at `position` starts. */
export function estimateQueueWait(input: QueueEtaInput): number | null {
  const typicalMs = median(input.recentDurationsMs);
  const freeInMs = typicalMs === null ? null : input.currentElapsedMs === null ? 0 : Math.max(0, typicalMs - input.currentElapsedMs);
  const queue: EtaQueued[] = Array.from({ length: Math.max(1, input.position) }, (_, i) => ({ id: String(i + 1), env: 'env', pool: [], keepMs: 0 }));
  return queueEtas([{ env: 'env', heldByPerson: input.heldByPerson, freeInMs, typicalMs }], queue).get(String(Math.max(1, input.position))) ?? null;
}
