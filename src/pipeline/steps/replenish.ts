// The replenish pipeline (a run of kind `replenish`, started by the pool keeper): a member launched
// from the environment's AMI exactly as a launch's instance is (tagged at creation with the run's
// asset-id and the pool tag), the FULL recipe at the pool's baseRef, then parked. Its teardown always
// removes the SSH rule and the ephemeral key pair; the member's instance, volumes and interface stay
// when it became ready (the pool holds them), and go with everything else when it did not.
import { MEMBER_ASSET_KINDS } from '../pool-records.ts';
import type { Pipeline } from '../pipeline.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import type { TeardownOutputs } from '../step-outputs.ts';
import { launchStep } from './launch.ts';
import { openSshStep } from './open-ssh.ts';
import { parkStep } from './park.ts';
import { serviceUpdateStep } from './service-update.ts';
import { hostOfRun, tearDownOwned } from './teardown.ts';
import { waitSshStep } from './wait-ssh.ts';


async function tearDownReplenish(ctx: RunContext): Promise<StepResult<TeardownOutputs>> {
  const member = await ctx.records.pool.ownMember();
  // Ready: the pool's. Claimed: the claiming launch's (it took the records with it).
  if (member && (member.state === 'ready' || member.state === 'claimed')) {
    const outputs = await tearDownOwned(hostOfRun(ctx), (kind) => !MEMBER_ASSET_KINDS.includes(kind) && kind !== 'target');
    ctx.log(`member ${member.id} kept for the pool (${member.state})`);
    return { outputs };
  }
  const outputs = await tearDownOwned(hostOfRun(ctx));
  // Nothing of it is left in AWS: the store forgets it (an evicting one is the keeper's to forget).
  if (member && member.state === 'preparing' && outputs.failed.length === 0) await ctx.records.pool.forget(member);
  return { outputs };
}

export const replenishTeardownStep: PipelineStep<'teardown'> = { name: 'teardown', safeToRepeat: true, run: tearDownReplenish };

export function replenishPipeline(): Pipeline {
  return {
    parallel: [],
    chain: [launchStep, openSshStep, waitSshStep, serviceUpdateStep, parkStep],
    after: [],
    teardown: replenishTeardownStep,
  };
}
