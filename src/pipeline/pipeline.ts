// The shape of a run (design.md section 2): prepare-tests runs beside the launch chain; the tests
// follow both; teardown always closes the run.
import type { PipelineStep } from './run-context.ts';

export interface Pipeline {
  /** Started together with `chain`; the tests wait for both. */
  parallel: PipelineStep[];
  /** One after another: launch, open-ssh, wait-ssh, arm-switch, service-update, register. */
  chain: PipelineStep[];
  /** After the environment is up: the tests. */
  after: PipelineStep[];
  teardown: PipelineStep<'teardown'>;
}

export function stepNames(p: Pipeline): string[] {
  return [...p.parallel, ...p.chain, ...p.after, p.teardown].map((s) => s.name);
}
