import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BrowserOutcome } from '../../../src/pipeline/events.ts';
import { RunCancelled, StepFailed } from '../../../src/pipeline/run-errors.ts';
import type { TestsOutputs } from '../../../src/pipeline/step-outputs.ts';
import { testsStep } from '../../../src/pipeline/steps/tests.ts';
import { summarizeBrowsers } from '../../../src/pipeline/steps/helpers/tests-summary.ts';
import { LocalRunner } from '../../../src/pipeline/test-runners/local-runner.ts';
import type { BrowserJob, BrowserResult, RunOptions, TestRunner } from '../../../src/pipeline/test-runners/types.ts';
import { shellQuote } from '../../../src/ssh/index.ts';
import type { TestRun } from '../support/run-context.ts';
import { hostTestRun, logLines } from '../support/ssh-run-context.ts';

const runs: TestRun[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const t of runs.splice(0)) await t.close();
});

async function harness(browsers: string[], testRunner: TestRunner, ref?: string): Promise<TestRun> {
  const t = await hostTestRun({ testRunner, outputs: {}, runOptions: { browsers, ...(ref !== undefined ? { ref } : {}) } });
  runs.push(t);
  return t;
}

function result(browser: string, outcome: BrowserResult['outcome'], counts: Partial<BrowserResult> = {}): BrowserResult {
  return { browser, outcome, passed: 0, failed: 0, flaky: 0, skipped: 0, failingTests: [], durationMs: 1_000, reportUrl: null, detail: null, ...counts };
}

/** A TestRunner that answers from a table, after an optional delay, printing a line per job. */
class FakeRunner implements TestRunner {
  readonly jobs: BrowserJob[] = [];
  readonly #answers: Record<string, { result: BrowserResult; delayMs?: number }>;
  constructor(answers: Record<string, { result: BrowserResult; delayMs?: number }>) {
    this.#answers = answers;
  }
  async run(job: BrowserJob, opts: RunOptions): Promise<BrowserResult> {
    this.jobs.push(job);
    const answer = this.#answers[job.browser];
    if (!answer) throw new Error(`no answer for ${job.browser}`);
    opts.onOutput?.(`Running ${answer.result.passed + answer.result.failed} tests using ${job.workers} workers`);
    await new Promise((r) => setTimeout(r, answer.delayMs ?? 0));
    return answer.result;
  }
}

describe('tests step', () => {
  it('runs one job per browser with its project, user and password, and reports each as it finishes', async () => {
    vi.stubEnv('STAGEBOT_TEST_PASSWORD_CHROME', 'chrome-secret');
    vi.stubEnv('STAGEBOT_TEST_PASSWORD_FIREFOX', 'firefox-secret');
    const runner = new FakeRunner({
      chrome: { result: result('chrome', 'passed', { passed: 12 }), delayMs: 60 },
      firefox: { result: result('firefox', 'failed', { passed: 9, failed: 3, failingTests: ['auth/login.spec.ts › logs in'] }), delayMs: 5 },
    });
    const h = await harness(['chrome', 'firefox'], runner, 'feature/login');

    const outputs = (await h.runStep(testsStep)).outputs as TestsOutputs;

    expect(runner.jobs).toEqual([
      {
        runId: h.run.id,
        browser: 'chrome',
        project: 'chromium',
        baseUrl: 'https://stg3.staging.acme.example',
        testUser: 'qa-chrome@acme.example',
        testPassword: 'chrome-secret',
        workers: h.config.tests.workers,
        retries: h.config.tests.retries,
        maxWaitMs: h.config.tests.maxWait,
        ref: 'feature/login',
      },
      expect.objectContaining({ browser: 'firefox', project: 'firefox', testUser: 'qa-firefox@acme.example', testPassword: 'firefox-secret' }),
    ]);
    // Events in finishing order: firefox was quicker.
    const browserEvents = h.events.flatMap((e) => (e.type === 'tests.browser' ? [e.result] : []));
    expect(browserEvents.map((r) => [r.browser, r.outcome])).toEqual([
      ['firefox', 'failed'],
      ['chrome', 'passed'],
    ]);
    expect(outputs.results.map((r) => r.browser)).toEqual(['chrome', 'firefox']);
    expect(outputs.allPassed).toBe(false);
    expect(outputs.summary).toBe('1 of 2 browsers failed: firefox (3 failed)');
    // Failing tests do not fail the step: the run's outcome comes from allPassed.
    expect(h.events.at(-1)).toMatchObject({ type: 'step.finished', step: 'tests' });
    expect(logLines(h)).toContain(`[chrome] Running 12 tests using ${h.config.tests.workers} workers`);
    expect(logLines(h)).toContain('[firefox] 3 failed');
  });

  it('says all passed when every browser passed', async () => {
    const runner = new FakeRunner({
      chrome: { result: result('chrome', 'passed', { passed: 12 }) },
      firefox: { result: result('firefox', 'passed', { passed: 12, flaky: 1 }) },
    });
    const h = await harness(['chrome', 'firefox'], runner);
    const outputs = (await h.runStep(testsStep)).outputs as TestsOutputs;
    expect(outputs.allPassed).toBe(true);
    expect(outputs.summary).toBe('all 2 browsers passed (1 flaky)');
    // No ref: the job says so instead of passing an empty one.
    expect(runner.jobs[0]?.ref).toBeNull();
  });

  it('fails the step when no browser could run at all', async () => {
    const runner = new FakeRunner({
      chrome: { result: result('chrome', 'error', { detail: "cannot start the test command: spawn sh ENOENT" }) },
      firefox: { result: result('firefox', 'error', { detail: 'exit code 2: no JSON report written to $REPORT_FILE (is the json reporter on?)\nError: no tests found' }) },
    });
    const h = await harness(['chrome', 'firefox'], runner);

    const failure = h.runStep(testsStep);

    await expect(failure).rejects.toBeInstanceOf(StepFailed);
    await expect(failure).rejects.toThrow(
      'tests failed: no browser could run its tests: chrome (error: cannot start the test command: spawn sh ENOENT), firefox (error: exit code 2: no JSON report written to $REPORT_FILE (is the json reporter on?))',
    );
    const event = h.events.find((e) => e.type === 'step.failed');
    expect(event?.type === 'step.failed' && event.tail).toContain('[firefox] exit code 2: no JSON report written to $REPORT_FILE (is the json reporter on?)\nError: no tests found');
    expect(h.events.filter((e) => e.type === 'tests.browser')).toHaveLength(2);
  });

  it('fails only the broken browser when another one ran', async () => {
    const runner = new FakeRunner({
      chrome: { result: result('chrome', 'passed', { passed: 3 }) },
      safari: { result: result('safari', 'error', { detail: 'the test runner failed: boom' }) },
    });
    vi.stubEnv('STAGEBOT_TEST_PASSWORD_SAFARI', undefined);
    const h = await harness(['chrome', 'safari'], runner);
    const outputs = (await h.runStep(testsStep)).outputs as TestsOutputs;
    expect(outputs.summary).toBe('1 of 2 browsers failed: safari (error: the test runner failed: boom)');
    // An unset password is said in the log; the tests still run (a suite may not need one).
    expect(runner.jobs[1]).toMatchObject({ browser: 'safari', project: 'webkit', testUser: 'qa-safari@acme.example', testPassword: undefined });
    expect(logLines(h)).toContain('[safari] STAGEBOT_TEST_PASSWORD_SAFARI is not set: the tests run without TEST_PASSWORD');
  });

  it('stops the browsers on cancel and ends cancelled (not failed), saying who', async () => {
    const seen: AbortSignal[] = [];
    const runner: TestRunner = {
      run: (job, opts) =>
        new Promise((resolve) => {
          seen.push(opts.signal);
          opts.signal.addEventListener('abort', () => resolve(result(job.browser, 'cancelled', { detail: 'cancelled; the test processes were stopped' })), { once: true });
        }),
    };
    const h = await harness(['chrome', 'firefox'], runner);
    const cancel = new AbortController();

    const settled = h.runStep(testsStep, { signal: cancel.signal }).then(
      () => 'resolved',
      (err: unknown) => err,
    );
    while (seen.length < 2) await new Promise((r) => setTimeout(r, 5));
    cancel.abort(new RunCancelled('github:octocat'));

    expect(await settled).toBeInstanceOf(RunCancelled);
    expect(seen.every((s) => s.aborted)).toBe(true);
    expect(h.events.at(-1)).toMatchObject({ type: 'step.cancelled', step: 'tests', by: 'github:octocat' });
  });

  it('refuses a browser the config does not know', async () => {
    const h = await harness(['opera'], new FakeRunner({}));
    await expect(h.runStep(testsStep)).rejects.toThrow('tests failed: browser "opera" is not configured (valid: chrome, firefox, safari, edge)');
  });
});

describe('tests step with the command runner', () => {
  const FAKE = fileURLToPath(new URL('../test-runners/support/fake-playwright.mjs', import.meta.url));
  const fixture = (name: string) => fileURLToPath(new URL(`../test-runners/fixtures/${name}`, import.meta.url));

  it('reads each browser report, redacts the password in the log, and summarizes', async () => {
    vi.stubEnv('STAGEBOT_TEST_PASSWORD_CHROME', 'chrome-secret');
    vi.stubEnv('STAGEBOT_TEST_PASSWORD_FIREFOX', 'firefox-secret');
    // Chrome's report has failures; firefox cannot start its browser and writes no report.
    const command = `node ${shellQuote(FAKE)} --fixture ${shellQuote(fixture('nested-failures.json'))} --fail-browser firefox --exit 1`;
    const runner = new LocalRunner({ command, killGraceMs: 1_000 });
    const h = await harness(['chrome', 'firefox'], runner);

    const outputs = (await h.runStep(testsStep)).outputs as TestsOutputs;

    const [chrome, firefox] = outputs.results as [BrowserOutcome, BrowserOutcome];
    expect(chrome).toMatchObject({ browser: 'chrome', outcome: 'failed', passed: 3, failed: 2, flaky: 1 });
    expect(firefox).toMatchObject({ browser: 'firefox', outcome: 'error' });
    expect(firefox.detail).toMatch(/^exit code 2: no JSON report written/);
    expect(outputs.allPassed).toBe(false);
    expect(outputs.summary).toMatch(/^2 of 2 browsers failed: chrome \(2 failed\), firefox \(error: exit code 2: no JSON report written to \$REPORT_FILE/);
    expect(logLines(h)).toContain('[chrome] Running tests against https://stg3.staging.acme.example in chromium using 3 workers');
    expect(logLines(h)).toContain('[chrome] logging in as qa-chrome@acme.example with password [redacted]');
    expect(logLines(h).join('\n')).not.toContain('secret');
  });
});

describe('summarizeBrowsers', () => {
  it('names each browser that did not pass and why', () => {
    expect(summarizeBrowsers([result('chrome', 'passed', { passed: 4 })])).toBe('chrome passed');
    expect(
      summarizeBrowsers([
        result('chrome', 'passed'),
        result('firefox', 'failed', { failed: 3 }),
        result('safari', 'timed-out'),
        result('edge', 'failed', { detail: 'exit code 1 although the report shows no failed test\nsome output' }),
        result('webkit', 'cancelled'),
      ]),
    ).toBe('4 of 5 browsers failed: firefox (3 failed), safari (timed out), edge (exit code 1 although the report shows no failed test), webkit (cancelled)');
  });
});
