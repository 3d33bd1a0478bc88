// tests: the Playwright suite, one job per requested browser, all at once, through the configured
// runner. The step succeeds when the suite ran, whatever the tests said: the run's outcome comes from
// `allPassed` (run-driver.ts). It fails only when no browser could run at all, or on cancel.
import { UserError } from '../../errors.ts';
import type { BrowserOutcome } from '../events.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import { runBrowsers } from '../test-runners/run-browsers.ts';
import type { BrowserJob } from '../test-runners/types.ts';
import { CommandFailed } from './helpers/command-failed.ts';
import type { TestsOutputs } from '../step-outputs.ts';
import { browserProblem, summarizeBrowsers } from './helpers/tests-summary.ts';

export function browserJob(ctx: RunContext, browser: string): BrowserJob {
  const config = ctx.config.browsers[browser];
  if (config === undefined) {
    throw new UserError(`browser "${browser}" is not configured (valid: ${Object.keys(ctx.config.browsers).join(', ')})`);
  }
  const user = config.testUser;
  const password = user ? process.env[user.passwordEnv] : undefined;
  if (user && !password) ctx.log(`[${browser}] ${user.passwordEnv} is not set: the tests run without TEST_PASSWORD`);
  return {
    runId: ctx.run.id,
    browser,
    project: config.project,
    baseUrl: ctx.env.url,
    testUser: user?.username ?? '',
    testPassword: password || undefined,
    workers: ctx.config.tests.workers,
    retries: ctx.config.tests.retries,
    maxWaitMs: ctx.config.tests.maxWait,
    ref: ctx.run.options.ref ?? null,
  };
}

/** What a retest runs again: these browsers (the run's users and reporting), maybe only the tests `grep` matches. */
export interface RetestSelection {
  browsers: readonly string[];
  grep: string | null;
}

async function run(ctx: RunContext, retest?: RetestSelection): Promise<StepResult<TestsOutputs>> {
  const browsers = retest?.browsers ?? ctx.run.options.browsers;
  if (browsers.length === 0) return { outputs: { results: [], allPassed: true, summary: 'no browsers requested' }, skipped: 'no browsers requested' };
  const jobs = browsers.map((browser) => ({ ...browserJob(ctx, browser), ...(retest?.grep ? { grep: retest.grep } : {}) }));

  const results: BrowserOutcome[] = await runBrowsers(ctx.testRunner, jobs, {
    signal: ctx.signal,
    onOutput: (browser, line) => ctx.log(`[${browser}] ${line}`),
    onResult: (result) => {
      ctx.log(`[${result.browser}] ${browserProblem(result)}`);
      ctx.emit({ type: 'tests.browser', result });
    },
  });
  // Cancelled browsers are not a result: the step stops with the cancel's reason.
  ctx.signal.throwIfAborted();

  if (results.every((r) => r.outcome === 'error')) {
    const tail = results.map((r) => `[${r.browser}] ${r.detail ?? 'error'}`).join('\n');
    throw new CommandFailed(`no browser could run its tests: ${results.map((r) => `${r.browser} (${browserProblem(r)})`).join(', ')}`, tail);
  }
  // A retest of some browsers keeps the others' last results: the run shows one result per browser.
  const previous = retest ? (ctx.outputOf('tests')?.results ?? []).filter((r) => !browsers.includes(r.browser)) : [];
  const all = [...previous, ...results];
  const outputs: TestsOutputs = { results: all, allPassed: all.every((r) => r.outcome === 'passed'), summary: summarizeBrowsers(all) };
  return { outputs };
}

export const testsStep: PipelineStep<'tests'> = { name: 'tests', safeToRepeat: true, run: (ctx) => run(ctx) };

/** The tests step again, on a kept environment (`retest`): recorded as the run's tests step. */
export function retestStep(selection: RetestSelection): PipelineStep<'tests'> {
  return { name: 'tests', safeToRepeat: true, run: (ctx) => run(ctx, selection) };
}
