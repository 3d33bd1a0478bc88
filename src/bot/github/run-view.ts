// Everything the check run and the living comment show about a run, read from the store, so any
// replica renders the same thing whatever events it did or did not hear.
import type { Run } from '../../domain/run.ts';
import type { Engine } from '../../pipeline/engine.ts';
import type { BrowserOutcome, RunCost, StepTiming } from '../../pipeline/events.ts';
import type { DeadManSwitchView } from '../../pipeline/run-summary.ts';

export interface GithubRunView {
  run: Run;
  timings: StepTiming[];
  browsers: BrowserOutcome[];
  cost: RunCost;
  /** When the host powers itself off unless stagebot moves it, while the run is up; null: not armed. */
  deadManSwitch: DeadManSwitchView | null;
  /** Failed steps' one-line errors, in pipeline order. */
  stepErrors: { step: string; error: string }[];
  /** 1-based place in the queue while queued. */
  queuePosition: number | null;
  /** The environments a pool launch may take (for a queued run without one). */
  pool: string[];
  checkRunUrl: string | null;
  now: Date;
}

export async function loadRunView(engine: Engine, run: Run, checkRunUrl: string | null): Promise<GithubRunView> {
  const store = engine.store;
  const [summary, steps, queued] = await Promise.all([
    engine.summarize(run),
    store.getSteps(run.id),
    run.state === 'queued' ? store.queuedRuns() : Promise.resolve([]),
  ]);
  const order = new Map(summary.timings.map((t, i) => [t.step, i]));
  const stepErrors = steps
    .filter((s) => s.state === 'failed' && s.error)
    .sort((a, b) => (order.get(a.name) ?? 99) - (order.get(b.name) ?? 99))
    .map((s) => ({ step: s.name, error: s.error ?? '' }));
  const index = queued.findIndex((r) => r.id === run.id);
  return {
    run,
    ...summary,
    stepErrors,
    queuePosition: index >= 0 ? index + 1 : null,
    pool: run.options.pool ?? engine.config.pool,
    checkRunUrl,
    now: engine.now(),
  };
}
