// What fronts render as a run advances: the engine's typed events and the pieces they carry (step
// timings, per-browser results, the run's cost, each step's outputs). Types only: a front that imports
// them loads nothing.
export type { BrowserOutcome, EngineEvent, EventListener, RunEventBody, RunEventType, StepFinishedBody, StepTiming } from '../pipeline/events.ts';
export type { RunCost } from '../cost/run-cost.ts';
export type { DeadManSwitchView } from '../pipeline/run-summary.ts';
export type {
  ArmSwitchOutputs,
  LaunchOutputs,
  OpenSshOutputs,
  PrepareTestsOutputs,
  RegisterOutputs,
  ServiceUpdateOutputs,
  StepName,
  StepOutputsByName,
  TeardownOutputs,
  TestsOutputs,
  WaitSshOutputs,
} from '../pipeline/step-outputs.ts';
