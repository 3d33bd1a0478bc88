// The default pipeline's step names in order (steps/index.ts), known without loading the steps: their
// code brings the AWS SDK and SSH, and a command that only shows a run (`status`) needs none of it.
// test/pipeline/step-order.test.ts keeps this list equal to the pipeline's.
import type { StepName } from './step-outputs.ts';

export const DEFAULT_STEP_NAMES: readonly StepName[] = ['prepare-tests', 'launch', 'open-ssh', 'wait-ssh', 'arm-switch', 'service-update', 'register', 'tests', 'teardown'];
