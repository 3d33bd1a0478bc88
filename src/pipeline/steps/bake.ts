// The bake pipeline (a run of kind `bake`): a builder launched from the image's base exactly as an
// environment is (ephemeral key pair, tagged SSH rule), the bake recipe over SSH, the image made from
// it, and a teardown that removes the builder always and a half-made image of a bake that failed.
import type { Pipeline } from '../pipeline.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import type { TeardownOutputs } from '../step-outputs.ts';
import { createImageStep, removeImage, runImages } from './create-image.ts';
import { launchStep } from './launch.ts';
import { openSshStep } from './open-ssh.ts';
import { serviceUpdateStep } from './service-update.ts';
import { teardownStep } from './teardown.ts';
import { waitSshStep } from './wait-ssh.ts';

/** The image's recipe, run as service-update runs an environment's (the builder env's serviceUpdate is the recipe). */
export const bakeRecipeStep: PipelineStep<'bake-recipe'> = {
  name: 'bake-recipe',
  safeToRepeat: false,
  run: (ctx) => serviceUpdateStep.run(ctx),
};

async function tearDownBake(ctx: RunContext): Promise<StepResult<TeardownOutputs>> {
  const result = await teardownStep.run(ctx);
  if (ctx.outputOf('create-image')?.imageId) return result;
  // The bake did not finish: an image it started (and its snapshots) is not a candidate, only a leak.
  const outputs = { ...result.outputs, failed: [...(result.outputs.failed ?? [])] } as TeardownOutputs;
  const ec2 = ctx.aws.ec2(ctx.env.region);
  try {
    for (const img of await runImages(ctx, ec2)) {
      await removeImage(ctx, ec2, img);
      outputs.deleted += 1;
    }
  } catch (err) {
    outputs.failed.push(`image of ${ctx.run.id}: ${(err as Error).message}`);
  }
  return { outputs };
}

export const bakeTeardownStep: PipelineStep<'teardown'> = { name: 'teardown', safeToRepeat: true, run: tearDownBake };

export function bakePipeline(): Pipeline {
  return {
    parallel: [],
    chain: [launchStep, openSshStep, waitSshStep, bakeRecipeStep, createImageStep],
    after: [],
    teardown: bakeTeardownStep,
  };
}
