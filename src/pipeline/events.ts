// What the engine tells the fronts as a run advances. Fronts render these their own way; the
// engine never formats a chat message. Every event is also appended to the run's timeline in the
// store, so a front that starts late (or another replica) can replay it.
import type { RunState, StepState } from '../domain/run.ts';
import type { AssetKind } from '../domain/asset.ts';
import type { RunCost } from '../cost/run-cost.ts';
import type { StepName, StepOutputsByName } from './step-outputs.ts';
import type { BrowserResult } from './test-runners/types.ts';

export type { RunCost } from '../cost/run-cost.ts';

export interface StepTiming {
  step: string;
  state: StepState;
  durationMs: number | null;
  /** The step's recent p50 in its environment (step history), where a read model added it. */
  usualMs?: number | null;
  /** It took more than twice its usual (step-history.ts SLOW_FACTOR). */
  slow?: boolean;
}

/** One browser's tests, as the test runner reported them (src/pipeline/test-runners/types.ts). */
export type BrowserOutcome = BrowserResult;

/** A step's end with its typed outputs: `detail` is what that step (by name) returned. */
export type StepFinishedBody = {
  [S in StepName]: { type: 'step.finished'; step: S; durationMs: number; detail: StepOutputsByName[S] };
}[StepName];

export type RunEventBody =
  | { type: 'run.queued'; position: number; env: string | null }
  | { type: 'run.started'; env: string; browsers: string[] }
  | { type: 'run.adopted'; previousOwner: string | null; action: 'resume' | 'teardown'; reason: string }
  | { type: 'step.started'; step: string }
  | StepFinishedBody
  | { type: 'step.failed'; step: string; durationMs: number; error: string; tail: string | null }
  | { type: 'step.skipped'; step: string; reason: string }
  /** Stopped by a cancel of its run: not a failure of the step. */
  | { type: 'step.cancelled'; step: string; durationMs: number; by: string; reason: string | null }
  | { type: 'step.log'; step: string; line: string }
  /** What a person must hear while the step goes (RunContext.warn); unlike step.log, stored in the timeline. */
  | { type: 'step.warning'; step: string; message: string }
  | { type: 'asset.created'; kind: AssetKind; id: string; region: string }
  | { type: 'asset.deleted'; kind: AssetKind; id: string; region: string }
  | { type: 'tests.browser'; result: BrowserOutcome }
  | { type: 'run.kept'; until: string }
  /** A kept run's tests run again (`retest`); its expiry moved to `until`. */
  | { type: 'run.retest'; by: string; browsers: string[]; grep: string | null; until: string }
  /** A retest whose process stopped (crash, restart): its tests step ended interrupted; the run stays kept until `until`. */
  | { type: 'run.retest-interrupted'; reason: string; until: string | null }
  | { type: 'run.cancel-requested'; by: string; reason: string | null }
  | { type: 'teardown.done'; deleted: number; failed: string[] }
  | { type: 'run.finished'; state: RunState; error: string | null; timings: StepTiming[]; cost: RunCost; browsers: BrowserOutcome[] };

export type RunEventType = RunEventBody['type'];

export type EngineEvent = RunEventBody & { runId: string; at: Date };

export type EventListener = (event: EngineEvent) => void;
