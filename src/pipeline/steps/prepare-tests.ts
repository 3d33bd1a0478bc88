// prepare-tests: builds what the test runner needs (an image, a bundle) with the operator's
// `tests.prepare.command`, once per `cacheKey`: the store's kv remembers the keys already built, so
// runs that share a key (and replicas that share a store) build it only once.
import { INHERITED_ENV_NAMES } from '../test-runners/command-env.ts';
import type { PrepareTestsOutputs } from '../step-outputs.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import { CommandFailed } from './helpers/command-failed.ts';
import { exitText, succeeded } from './helpers/exit-text.ts';
import { runLocalCommand } from './helpers/local-command.ts';
import { OutputLines } from './helpers/output-lines.ts';

/** Beyond what a test command inherits: what `docker build` / `docker push` need to find their daemon. */
const PREPARE_ENV_NAMES: readonly string[] = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH', 'DOCKER_TLS_VERIFY', 'BUILDKIT_PROGRESS'];

export function cacheKvKey(cacheKey: string): string {
  return `prepare-tests:${cacheKey}`;
}

/**
 * The bot's environment holds AWS, Slack and GitHub credentials and the test users' passwords; the
 * prepare command gets none of them, only what a build needs to run, and the run id.
 */
export function prepareEnv(base: NodeJS.ProcessEnv, runId: string): Record<string, string> {
  const allowed = new Set([...INHERITED_ENV_NAMES, ...PREPARE_ENV_NAMES]);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && (allowed.has(name) || name.startsWith('LC_'))) env[name] = value;
  }
  env.STAGEBOT_RUN_ID = runId;
  return env;
}

async function run(ctx: RunContext): Promise<StepResult<PrepareTestsOutputs>> {
  const prepare = ctx.config.tests.prepare;
  if (prepare === undefined) return { outputs: {}, skipped: 'nothing to prepare' };
  const cacheKey = prepare.cacheKey ?? null;
  if (cacheKey !== null && (await ctx.records.cached(cacheKvKey(cacheKey))) !== null) {
    return { outputs: { cacheKey, cached: true }, skipped: `cached (${cacheKey})` };
  }

  const started = ctx.clock.now().getTime();
  const out = new OutputLines((line) => ctx.log(line));
  // Never the command text: `${VAR}`s in it were filled in from the bot's environment at config load,
  // and the run log goes to chat.
  ctx.log('» tests.prepare.command');
  const exit = await runLocalCommand({
    command: prepare.command,
    env: prepareEnv(process.env, ctx.run.id),
    timeoutMs: prepare.timeout,
    signal: ctx.signal,
    out,
  });
  if (!succeeded(exit)) throw new CommandFailed(`tests.prepare.command: ${exitText(exit, prepare.timeout)}`, out.tail());

  const durationMs = ctx.clock.now().getTime() - started;
  if (cacheKey !== null) await ctx.records.cache(cacheKvKey(cacheKey), { runId: ctx.run.id, builtAt: ctx.clock.now().toISOString() });
  return { outputs: { cacheKey, cached: false, durationMs } };
}

export const prepareTestsStep: PipelineStep<'prepare-tests'> = { name: 'prepare-tests', safeToRepeat: true, run };
