// What an environment's runs usually take, step by step: the median (p50) of each step over its most
// recently finished runs, from the store's step records. The queue's ETA, the launch's expected cost and
// the timing table's "usual" column all read this one figure, so they never disagree.
import type { Store } from '../store/index.ts';

/** Steps that run beside the launch chain (pipeline.ts `parallel`): their time does not add to a run's. */
export const PARALLEL_STEPS: readonly string[] = ['prepare-tests'];

/** A step more than this many times its usual time is flagged as slow. */
export const SLOW_FACTOR = 2;
export const SLOW_MIN_EXTRA_MS = 5_000;

export interface StepHistory {
  /** Step name -> median duration (ms) over the recent runs that ran it to success. */
  p50: ReadonlyMap<string, number>;
  /** How many finished runs the figures come from (0: no history, no estimate). */
  runs: number;
}

export const NO_HISTORY: StepHistory = { p50: new Map(), runs: 0 };

/** Lower median, as the queue always used: with two samples, the faster. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The medians of `rows` (one row per step of a run), leaving out `excludeRunId` (a run is not its own history). */
export function stepHistoryOf(rows: readonly { runId: string; name: string; durationMs: number }[], excludeRunId?: string): StepHistory {
  const byStep = new Map<string, number[]>();
  const runs = new Set<string>();
  for (const r of rows) {
    if (r.runId === excludeRunId) continue;
    runs.add(r.runId);
    const list = byStep.get(r.name) ?? [];
    list.push(r.durationMs);
    byStep.set(r.name, list);
  }
  const p50 = new Map<string, number>();
  for (const [name, list] of byStep) p50.set(name, median(list)!);
  return { p50, runs: runs.size };
}

export type StepHistoryStore = Pick<Store, 'stepHistory'>;

export async function loadStepHistory(store: StepHistoryStore, env: string, excludeRunId?: string): Promise<StepHistory> {
  return stepHistoryOf(await store.stepHistory(env), excludeRunId);
}

/**
 * How long an environment is usually held by one run, without its keep: the sum of its steps' medians,
 * less the steps that run beside the chain when they are not the longer branch. Null without history.
 */
export function typicalRunMs(history: StepHistory, stepNames: readonly string[]): number | null {
  if (history.runs === 0) return null;
  let chain = 0;
  let beside = 0;
  let known = false;
  for (const name of stepNames) {
    const ms = history.p50.get(name);
    if (ms === undefined) continue;
    known = true;
    if (PARALLEL_STEPS.includes(name)) beside = Math.max(beside, ms);
    else chain += ms;
  }
  if (!known) return null;
  // prepare-tests runs beside launch..register; the tests wait for both.
  const launchChain = ['launch', 'open-ssh', 'wait-ssh', 'arm-switch', 'service-update', 'register'].reduce((sum, n) => sum + (history.p50.get(n) ?? 0), 0);
  return chain + Math.max(0, beside - launchChain);
}

/** What is left of a run that has done `doneSteps` and is `inStepMs` into `currentStep` (null: not started). */
export function remainingRunMs(history: StepHistory, stepNames: readonly string[], doneSteps: ReadonlySet<string>, current: { step: string; elapsedMs: number } | null): number | null {
  const total = typicalRunMs(history, stepNames.filter((n) => !doneSteps.has(n)));
  if (total === null) return doneSteps.size > 0 ? 0 : null;
  const inStep = current ? Math.min(current.elapsedMs, history.p50.get(current.step) ?? 0) : 0;
  return Math.max(0, total - inStep);
}

/** A step's time against its usual: the usual (null: no history of the step), and whether it took over SLOW_FACTOR times that. */
export function againstUsual(history: StepHistory, step: string, durationMs: number | null): { usualMs: number | null; slow: boolean } {
  const usualMs = history.p50.get(step) ?? null;
  // Twice a few milliseconds is noise, not news: a flagged step is also at least SLOW_MIN_EXTRA_MS over.
  const slow = usualMs !== null && durationMs !== null && durationMs > SLOW_FACTOR * usualMs && durationMs - usualMs >= SLOW_MIN_EXTRA_MS;
  return { usualMs, slow };
}
