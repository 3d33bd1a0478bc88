// park: the last step of a replenish run. The member was launched from the environment's AMI and had
// the full recipe at the pool's baseRef: its key is kept (sealed) for the launch that will claim it,
// its assets' expires-at moved to the end of its maxAge (the sweeper's fallback when the store is gone),
// then it is stopped (mode stopped: EBS cost only) or left running, and only then offered (ready).
import { CreateTagsCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { TAG, formatTagTime } from '../../aws/tags.ts';
import { waitForInstanceState } from '../../aws/waiters.ts';
import { UserError } from '../../errors.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import { EPHEMERAL_KEY_SECRET, type ParkOutputs } from '../step-outputs.ts';
import { stepError } from './helpers/aws-step-error.ts';
import { POLL_INTERVAL_MS } from './helpers/instance-outputs.ts';

async function run(ctx: RunContext): Promise<StepResult<ParkOutputs>> {
  const pool = ctx.env.warmPool;
  if (!pool) throw new UserError(`${ctx.env.name} has no warmPool any more; the member is not parked`);
  const launch = ctx.outputOf('launch');
  if (!launch) throw new UserError('park needs the instance launch started, and launch has not run for this run');
  const member = await ctx.records.pool.ownMember();
  if (!member || member.state !== 'preparing') {
    throw new UserError(`pool member ${ctx.run.id} is ${member ? `${member.state}${member.evictReason ? ` (${member.evictReason})` : ''}` : 'no longer in the store'}; not parked`);
  }
  if (launch.ami && launch.ami !== member.ami) throw new UserError(`the member was launched from ${launch.ami}, but the pool wants ${member.ami}; not parked`);
  await ctx.records.pool.setOwnInstance(launch.instanceId);

  let keySealed = false;
  if (launch.ephemeralKey) {
    const key = ctx.secrets.get(EPHEMERAL_KEY_SECRET);
    if (!key) throw new UserError('the member\'s ephemeral SSH key was lost with its process; it cannot be claimed');
    await ctx.fence('sealing the member\'s key');
    await ctx.records.pool.sealOwnKey(key);
    keySealed = true;
  }

  const ec2 = ctx.aws.ec2(ctx.env.region);
  const builtAt = ctx.clock.now();
  // Beyond maxAge the pool evicts it; a day more is the sweeper's margin should the pool's job be down.
  const expiresAt = new Date(builtAt.getTime() + pool.maxAge + 24 * 3_600_000);
  const ids = [launch.instanceId, ...launch.volumeIds, ...launch.networkInterfaceIds];
  try {
    await ec2.send(new CreateTagsCommand({ Resources: ids, Tags: [{ Key: TAG.expiresAt, Value: formatTagTime(expiresAt) }] }));
  } catch (err) {
    throw stepError(`CreateTags ${TAG.expiresAt} on ${ids.join(', ')}`, err);
  }
  if (pool.mode === 'stopped') {
    try {
      await ec2.send(new StopInstancesCommand({ InstanceIds: [launch.instanceId] }));
      await waitForInstanceState(ec2, launch.instanceId, 'stopped', {
        timeoutMs: ctx.config.runs.stepTimeouts.launch,
        intervalMs: POLL_INTERVAL_MS,
        signal: ctx.signal,
        sleep: (ms, s) => ctx.clock.sleep(ms, s),
        now: () => ctx.clock.now().getTime(),
      });
    } catch (err) {
      throw stepError(`stopping ${launch.instanceId}`, err);
    }
  }
  await ctx.fence('offering the member');
  if (!(await ctx.records.pool.markOwnReady(builtAt))) throw new UserError(`pool member ${ctx.run.id} was evicted while it was prepared; not offered`);
  ctx.log(`member ${ctx.run.id} (${launch.instanceId}) is ready, ${pool.mode}, until ${expiresAt.toISOString()} at the latest`);
  return { outputs: { memberId: ctx.run.id, instanceId: launch.instanceId, mode: pool.mode, builtAt: builtAt.toISOString(), keySealed } };
}

/** Not safe to repeat blindly: a resumed replenish parks again (idempotent stop), but only while the member is preparing. */
export const parkStep: PipelineStep<'park'> = { name: 'park', safeToRepeat: true, run };
