// The default pipeline (design.md section 2), one file per step.
import type { Pipeline } from '../pipeline.ts';
import { armSwitchStep } from './arm-switch.ts';
import { launchStep } from './launch.ts';
import { openSshStep } from './open-ssh.ts';
import { prepareTestsStep } from './prepare-tests.ts';
import { registerStep } from './register.ts';
import { serviceUpdateStep } from './service-update.ts';
import { teardownStep } from './teardown.ts';
import { testsStep } from './tests.ts';
import { waitSshStep } from './wait-ssh.ts';

export function defaultPipeline(): Pipeline {
  return {
    parallel: [prepareTestsStep],
    chain: [launchStep, openSshStep, waitSshStep, armSwitchStep, serviceUpdateStep, registerStep],
    after: [testsStep],
    teardown: teardownStep,
  };
}
