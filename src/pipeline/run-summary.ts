// The end of a run in numbers: per-step timings (the seed's timing table), per-browser results and
// what the run cost, and the host's dead man's switch. Derived from what the store holds of the run
// (its steps and assets), so any replica produces the same; `summarize` is the pure part every
// reader shares.
import { environmentOfRun } from './run-environment.ts';
import type { Config } from '../config/index.ts';
import { runCost } from '../cost/run-cost.ts';
import type { Prices } from '../cost/prices.ts';
import type { Asset } from '../domain/asset.ts';
import { isFinished, type Run, type Step } from '../domain/run.ts';
import type { Store } from '../store/index.ts';
import type { BrowserOutcome, RunCost, StepTiming } from './events.ts';
import type { ArmSwitchOutputs, TestsOutputs } from './step-outputs.ts';

export interface RunSummary {
  timings: StepTiming[];
  browsers: BrowserOutcome[];
  cost: RunCost;
  /** The host's dead man's switch while it matters (armed, run not finished); null otherwise. */
  deadManSwitch: DeadManSwitchView | null;
}

export interface DeadManSwitchView {
  /** ISO time the host powers itself off (and terminates) unless stagebot moves it. */
  firesAt: string;
}

export interface SummaryFacts {
  config: Config;
  prices: Prices;
  /** The pipeline's steps in order (every one shows in the timings, pending until it starts). */
  stepNames: readonly string[];
  now: Date;
}

/** The summary of `run` from its stored steps and assets. */
export function summarize(facts: SummaryFacts, run: Run, steps: readonly Step[], assets: readonly Asset[]): RunSummary {
  const byName = new Map(steps.map((s) => [s.name, s]));
  const timings: StepTiming[] = facts.stepNames.map((name) => {
    const s = byName.get(name);
    const durationMs = s?.startedAt && s.finishedAt ? s.finishedAt.getTime() - s.startedAt.getTime() : null;
    return { step: name, state: s?.state ?? 'pending', durationMs };
  });
  const browsers = (byName.get('tests')?.outputs as Partial<TestsOutputs> | undefined)?.results ?? [];
  const armed = byName.get('arm-switch');
  // Once the run is over its instance is gone (or the sweeper's): the switch is moot.
  const deadManSwitch = armed?.state === 'succeeded' && !isFinished(run.state) ? { firesAt: String((armed.outputs as Partial<ArmSwitchOutputs>).firesAt) } : null;
  const env = environmentOfRun(facts.config, run);
  return { timings, browsers, cost: runCost(facts.prices, env, assets, byName.get('launch')?.outputs ?? {}, facts.now), deadManSwitch };
}

/** Reads the run's steps and assets and summarizes them. */
export async function summarizeRun(store: Pick<Store, 'getSteps' | 'getAssets'>, facts: SummaryFacts, run: Run): Promise<RunSummary> {
  const steps = await store.getSteps(run.id);
  const env = environmentOfRun(facts.config, run);
  // A run without a known environment costs nothing: its assets are not even read (as runCost always did).
  const assets = env ? await store.getAssets(run.id) : [];
  return summarize(facts, run, steps, assets);
}
