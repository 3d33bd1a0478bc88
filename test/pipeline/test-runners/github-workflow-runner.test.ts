import { afterEach, describe, expect, it } from 'vitest';
import { GithubWorkflowRunner, titleNames } from '../../../src/pipeline/test-runners/github-workflow-runner.ts';
import { runBrowsers } from '../../../src/pipeline/test-runners/run-browsers.ts';
import type { BrowserJob } from '../../../src/pipeline/test-runners/types.ts';
import { startFakeGithub, type FakeGithub, type FakeGithubOptions } from './support/fake-github-actions.ts';

let fake: FakeGithub | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function setup(opts: FakeGithubOptions = {}, runnerOpts: { maxPolls?: number; findTimeoutMs?: number; throttle?: boolean } = {}) {
  fake = await startFakeGithub(opts);
  let tokens = 0;
  const runner = new GithubWorkflowRunner({
    baseUrl: fake.baseUrl,
    getToken: async () => `ghs_token${++tokens}`,
    repository: 'acme/e2e',
    workflow: 'playwright.yml',
    ref: 'main',
    pollIntervalMs: 5,
    retries: 0,
    // GitHub's one-write-a-second pacing would make these tests slow, not different.
    throttle: false,
    ...runnerOpts,
  });
  return { fake, runner };
}

function job(overrides: Partial<BrowserJob> = {}): BrowserJob {
  return {
    runId: 'stg4-20261121-a1b2c3',
    browser: 'chrome',
    project: 'chromium',
    baseUrl: 'https://stg4.staging.acme.example',
    testUser: 'qa-chrome@acme.example',
    testPassword: 'hunter2-chrome',
    workers: 3,
    retries: 2,
    maxWaitMs: 10_000,
    ref: 'feature/login',
    ...overrides,
  };
}

const never = () => new AbortController().signal;
const only = (f: FakeGithub, method: string, pattern: RegExp) => f.requests.filter((r) => r.method === method && pattern.test(r.path));

describe('GithubWorkflowRunner', () => {
  it('dispatches the workflow with the job as inputs, follows the run it got back until it completes, and links it', async () => {
    // With GitHub's pacing on, as in production: a single write goes out at once.
    const { fake, runner } = await setup({ dispatchMode: 'details' }, { throttle: true });
    const lines: string[] = [];
    const result = await runner.run(job(), { signal: never(), onOutput: (l) => lines.push(l) });

    const dispatches = only(fake, 'POST', /\/dispatches$/);
    expect(dispatches).toHaveLength(1);
    expect(dispatches[0]?.path).toBe('/repos/acme/e2e/actions/workflows/playwright.yml/dispatches');
    expect(dispatches[0]?.body).toEqual({
      ref: 'main',
      inputs: {
        base_url: 'https://stg4.staging.acme.example',
        browser: 'chrome',
        project: 'chromium',
        test_user: 'qa-chrome@acme.example',
        workers: '3',
        retries: '2',
        run_id: 'stg4-20261121-a1b2c3',
        ref: 'feature/login',
      },
      return_run_details: true,
    });
    // The password never leaves stagebot: the workflow reads it from its own secrets.
    expect(JSON.stringify(fake.requests)).not.toContain('hunter2');

    const run = fake.runs[0];
    expect(only(fake, 'GET', /\/runs$/)).toHaveLength(0); // no need to search: the id came back
    const looks = only(fake, 'GET', /^\/repos\/acme\/e2e\/actions\/runs\/\d+$/);
    expect(looks.map((r) => r.path)).toEqual(Array(3).fill(`/repos/acme/e2e/actions/runs/${run?.id}`));
    expect(result).toEqual({
      browser: 'chrome',
      outcome: 'passed',
      passed: 0,
      failed: 0,
      flaky: 0,
      skipped: 0,
      failingTests: [],
      durationMs: expect.any(Number),
      reportUrl: run?.html_url,
      detail: 'see the workflow run',
    });
    expect(lines).toEqual([`workflow run ${run?.html_url}`, 'workflow run queued', 'workflow run in_progress', 'workflow run completed']);
  });

  it('asks getToken for every request, so an expired installation token is never reused', async () => {
    const { fake, runner } = await setup();
    await runner.run(job(), { signal: never() });
    const auth = fake.requests.map((r) => r.authorization);
    expect(auth.length).toBeGreaterThanOrEqual(3);
    expect(auth).toEqual(auth.map((_a, i) => `token ghs_token${i + 1}`));
  });

  it('finds the run by its run-name where the dispatch API returns nothing (older GitHub, GHES under /api/v3)', async () => {
    const { fake, runner } = await setup({
      dispatchMode: 'no-content',
      listedFromCall: 3,
      pathPrefix: '/api/v3',
      plan: () => ({ conclusion: 'failure', completesOnLook: 2 }),
      otherRuns: [{ display_title: 'stg4-20261121-a1b2c3 chrome-beta' }, { display_title: 'stg2-20261120-ffffff chrome' }],
    });
    expect(fake.baseUrl).toMatch(/\/api\/v3$/);
    const result = await runner.run(job(), { signal: never() });

    const lists = only(fake, 'GET', /\/workflows\/playwright\.yml\/runs$/);
    expect(lists).toHaveLength(3);
    expect(lists[0]?.query).toMatchObject({ event: 'workflow_dispatch', per_page: '100' });
    expect(lists[0]?.query.created).toMatch(/^>=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const dispatched = fake.runs.find((r) => r.display_title === 'stg4-20261121-a1b2c3 chrome');
    expect(result.outcome).toBe('failed');
    expect(result.reportUrl).toBe(dispatched?.html_url);
    expect(only(fake, 'GET', new RegExp(`/actions/runs/${dispatched?.id}$`)).length).toBe(2);
  });

  it('falls back to a plain dispatch when the server refuses return_run_details', async () => {
    const { fake, runner } = await setup({ dispatchMode: 'strict-legacy' });
    const result = await runner.run(job(), { signal: never() });
    const dispatches = only(fake, 'POST', /\/dispatches$/);
    expect(dispatches.map((d) => 'return_run_details' in (d.body as object))).toEqual([true, false]);
    expect(fake.runs).toHaveLength(1);
    expect(result.outcome).toBe('passed');
  });

  it('maps each conclusion to an outcome, all browsers in parallel', async () => {
    const conclusions: Record<string, string> = {
      chrome: 'success',
      firefox: 'failure',
      safari: 'cancelled',
      edge: 'timed_out',
      opera: 'startup_failure',
      brave: 'action_required',
    };
    const { runner } = await setup({ plan: (inputs) => ({ conclusion: conclusions[inputs.browser ?? ''] ?? null, completesOnLook: 2 }) });
    const jobs = Object.keys(conclusions).map((browser) => job({ browser, project: browser }));
    const results = await runBrowsers(runner, jobs, { signal: never() });
    expect(results.map((r) => [r.browser, r.outcome])).toEqual([
      ['chrome', 'passed'],
      ['firefox', 'failed'],
      ['safari', 'cancelled'],
      ['edge', 'timed-out'],
      ['opera', 'error'],
      ['brave', 'error'],
    ]);
    expect(results[4]?.detail).toBe('the workflow run ended with conclusion "startup_failure"; see the workflow run');
    expect(results[2]?.detail).toBe('the workflow run was cancelled on GitHub');
  });

  it('polls a bounded number of times, then cancels the run', async () => {
    const { fake, runner } = await setup({ plan: () => ({ conclusion: null, completesOnLook: 1 }) }, { maxPolls: 4 });
    const result = await runner.run(job(), { signal: never() });
    const run = fake.runs[0];
    expect(only(fake, 'GET', /\/actions\/runs\/\d+$/).length).toBe(5); // the first look, then 4 polls
    expect(result.outcome).toBe('timed-out');
    expect(result.detail).toBe('the workflow run was still in_progress after 4 status checks; the workflow run was cancelled');
    expect(only(fake, 'POST', /\/cancel$/).map((r) => r.path)).toEqual([`/repos/acme/e2e/actions/runs/${run?.id}/cancel`]);
    expect(run?.conclusion).toBe('cancelled');
  });

  it('cancels the workflow run when the stagebot run is cancelled', async () => {
    const { fake, runner } = await setup({ plan: () => ({ conclusion: null, completesOnLook: 1 }) });
    const controller = new AbortController();
    const pending = runner.run(job(), {
      signal: controller.signal,
      onOutput: (line) => {
        if (line === 'workflow run in_progress') controller.abort();
      },
    });
    const result = await pending;
    expect(result.outcome).toBe('cancelled');
    expect(result.detail).toBe('cancelled; the workflow run was cancelled');
    expect(result.reportUrl).toBe(fake.runs[0]?.html_url);
    expect(only(fake, 'POST', /\/cancel$/)).toHaveLength(1);
    expect(only(fake, 'POST', /\/cancel$/)[0]?.authorization).toMatch(/^token ghs_token\d+$/);
  });

  it('cancels the workflow run when maxWait runs out', async () => {
    const { fake, runner } = await setup({ plan: () => ({ conclusion: null, completesOnLook: 1 }) });
    const result = await runner.run(job({ maxWaitMs: 150 }), { signal: never() });
    expect(result.outcome).toBe('timed-out');
    expect(result.detail).toBe('no result after 150ms; the workflow run was cancelled');
    expect(fake.runs[0]?.conclusion).toBe('cancelled');
  });

  it('says clearly when the workflow does not exist or refuses the inputs, and cancels nothing', async () => {
    let { fake, runner } = await setup();
    const missing = new GithubWorkflowRunner({ baseUrl: fake.baseUrl, getToken: () => 'ghs_x', repository: 'acme/e2e', workflow: 'nope.yml', ref: 'main', retries: 0, throttle: false });
    const notFound = await missing.run(job(), { signal: never() });
    expect(notFound.outcome).toBe('error');
    expect(notFound.detail).toBe('workflow nope.yml in acme/e2e was not found (or the GitHub App cannot see the repository)');
    await fake.close();

    ({ fake, runner } = await setup({ dispatchError: { status: 422, message: 'Unexpected inputs provided: ["project"]' } }));
    const refused = await runner.run(job(), { signal: never() });
    expect(refused.outcome).toBe('error');
    expect(refused.detail).toBe('GitHub refused to start playwright.yml in acme/e2e: Unexpected inputs provided: ["project"]');
    expect(fake.requests.map((r) => r.method + ' ' + r.path)).toEqual(['POST /repos/acme/e2e/actions/workflows/playwright.yml/dispatches']);
  });

  it('explains the run-name contract when the dispatched run cannot be found', async () => {
    const { fake, runner } = await setup({ dispatchMode: 'no-content', runName: null }, { findTimeoutMs: 60 });
    const result = await runner.run(job(), { signal: never() });
    expect(result.outcome).toBe('error');
    expect(result.detail).toContain('no run titled "stg4-20261121-a1b2c3 chrome" appeared within 60ms');
    expect(result.detail).toContain('run-name: ${{ inputs.run_id }} ${{ inputs.browser }}');
    expect(result.detail).toContain('no workflow run was found to cancel');
    expect(only(fake, 'GET', /\/runs$/).length).toBeGreaterThan(1);
    expect(only(fake, 'GET', /\/runs$/).length).toBeLessThanOrEqual(20);
  });

  it('refuses a repository that is not owner/name', () => {
    expect(() => new GithubWorkflowRunner({ baseUrl: 'http://127.0.0.1:1', getToken: () => 't', repository: 'e2e', workflow: 'w.yml', ref: 'main' })).toThrow(
      /not a repository \(valid: owner\/name\)/,
    );
  });
});

describe('titleNames', () => {
  it('matches the run id followed by the browser as whole words only', () => {
    const j = { runId: 'stg4-20261121-a1b2c3', browser: 'chrome' };
    expect(titleNames('stg4-20261121-a1b2c3 chrome', j)).toBe(true);
    expect(titleNames('e2e: stg4-20261121-a1b2c3  chrome (feature/login)', j)).toBe(true);
    expect(titleNames('stg4-20261121-a1b2c3 chrome-beta', j)).toBe(false);
    expect(titleNames('xstg4-20261121-a1b2c3 chrome', j)).toBe(false);
    expect(titleNames('chrome stg4-20261121-a1b2c3', j)).toBe(false);
  });
});
