// The step names a reading command shows without loading the pipeline are the pipeline's own.
import { expect, test } from 'vitest';
import { stepNames } from '../../src/pipeline/pipeline.ts';
import { DEFAULT_STEP_NAMES } from '../../src/pipeline/step-order.ts';
import { defaultPipeline } from '../../src/pipeline/steps/index.ts';

test('DEFAULT_STEP_NAMES is the default pipeline, in order', () => {
  expect([...DEFAULT_STEP_NAMES]).toEqual(stepNames(defaultPipeline()));
});
