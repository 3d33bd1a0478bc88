// service-update: the environment's recipe of SSH commands and HTTP waits, run in order on the new
// host over a connection that accepts only the host key wait-ssh pinned. Values from chat and the
// run reach the host only as STAGEBOT_* environment variables, never inside a command.
import type { RecipeItem } from '../../config/index.ts';
import { UserError } from '../../errors.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import { CommandFailed } from './helpers/command-failed.ts';
import { OutputLines } from './helpers/output-lines.ts';
import type { ServiceUpdateOutputs, WaitSshOutputs } from '../step-outputs.ts';
import { PinnedConnection } from './helpers/pinned-connection.ts';
import { runRecipeItem } from './helpers/recipe-item.ts';
import { sshAccess } from './helpers/ssh-access.ts';

/** What a recipe command may read: `"$STAGEBOT_REF"`, never a value spliced into its text. */
export function recipeEnv(ctx: RunContext): Record<string, string> {
  return {
    STAGEBOT_REF: ctx.run.options.ref ?? '',
    STAGEBOT_RUN_ID: ctx.run.id,
    STAGEBOT_ENV: ctx.env.name,
    STAGEBOT_REQUESTED_BY: ctx.run.requester,
  };
}

async function run(ctx: RunContext): Promise<StepResult<ServiceUpdateOutputs>> {
  // A launch that took a warm pool member runs the warm recipe (serviceUpdate.warm): the member already
  // had the full one at the pool's baseRef.
  const warm = ctx.run.kind === 'launch' && ctx.outputOf('launch')?.warmMember !== undefined && ctx.env.warmUpdate !== undefined;
  const recipe: RecipeItem[] = warm ? ctx.env.warmUpdate! : ctx.env.serviceUpdate;
  if (recipe.length === 0) return { outputs: { items: [] }, skipped: `${ctx.env.name} has no ${warm ? 'warm ' : ''}serviceUpdate recipe` };
  if (warm) ctx.log(`warm recipe (serviceUpdate.warm, ${recipe.length} item(s)) on warm member ${ctx.outputOf('launch')!.warmMember}`);
  const pinned = ctx.outputOf('wait-ssh');
  if (!pinned?.hostKey) throw new UserError('service-update needs the host key wait-ssh pins, and wait-ssh has not run for this run');

  const access = { ...sshAccess(ctx), host: pinned.host, port: pinned.port };
  const connection = new PinnedConnection({
    access,
    hostKey: pinned.hostKey,
    signal: ctx.signal,
    sleep: (ms, signal) => ctx.clock.sleep(ms, signal),
    log: (line) => ctx.log(line),
  });
  const env = recipeEnv(ctx);
  const items: ServiceUpdateOutputs['items'] = [];
  const continued: string[] = [];
  try {
    for (const item of recipe) {
      // A recipe item can run for many minutes: a driver that lost its run meanwhile touches its host no more.
      await ctx.fence(`recipe item "${item.name}"`);
      const out = new OutputLines((line) => ctx.log(line));
      const result = await runRecipeItem(item, { session: () => connection.session(), env, signal: ctx.signal, clock: ctx.clock, out });
      const record = { name: item.name, attempts: result.attempts, durationMs: result.durationMs };
      if (result.ok) {
        items.push({ ...record, outcome: 'succeeded' });
      } else if (item.continueOnError) {
        items.push({ ...record, outcome: 'continued' });
        continued.push(result.error ?? item.name);
        ctx.log(`continuing (continueOnError): ${result.error}`);
      } else {
        throw new CommandFailed(result.error ?? `${item.name} failed`, out.tail());
      }
    }
  } finally {
    await connection.close();
  }
  const outputs: ServiceUpdateOutputs = { items, continued, ...(warm ? { recipe: 'warm' as const } : {}) };
  return { outputs };
}

export const serviceUpdateStep: PipelineStep<'service-update'> = { name: 'service-update', safeToRepeat: false, run };
