// `tests.runner.kind: github-workflow`: each browser is one run of a GitHub Actions workflow,
// started with a workflow_dispatch event, watched until it completes, cancelled when the
// stagebot run is cancelled or the browser's maxWait runs out.
//
// What the workflow must declare (all inputs are strings):
//
//   on:
//     workflow_dispatch:
//       inputs: { base_url: {}, browser: {}, project: {}, test_user: {}, workers: {}, retries: {}, run_id: {}, ref: {} }
//       (and `grep: {}` for `retest --grep`: sent only then)
//   run-name: ${{ inputs.run_id }} ${{ inputs.browser }}
//
// `run-name` is how stagebot finds the run it started where GitHub's dispatch API does not
// return the run's id (GitHub Enterprise Server, older github.com). The test user's PASSWORD IS
// NOT SENT: dispatch inputs are visible to anyone who can read the run, so the workflow reads
// the password from its own secrets (e.g. `secrets[format('E2E_PASSWORD_{0}', inputs.browser)]`).
// The `ref` input is the ref stagebot deployed; the workflow's own version comes from the
// runner config's `ref`.
//
// A finished run reports its conclusion and links to the run's page. When the workflow uploads its
// Playwright output as artifacts (actions/upload-artifact: the JSON report as `report.json`, the
// HTML report, `test-results/`), stagebot downloads them, reads the counts and failed tests from the
// report, and keeps the reports, screenshots and traces like the command runner does.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserArtifacts } from '../../domain/artifact.ts';
import type { ArtifactKeeper } from './artifact-keeper.ts';
import { readPlaywrightReport, type PlaywrightSummary } from './playwright-report.ts';
import { fetchWorkflowArtifacts, filesBelow, findReports, relocateAttachments } from './workflow-artifacts.ts';
import { z } from 'zod';
import { formatDuration } from '../../domain/duration.ts';
import { ConfigError } from '../../errors.ts';
import { browserResult, errorLine, type ResultParts } from './browser-result.ts';
import { createActionsOctokit, type ActionsOctokit, type GithubApiOptions } from './github-actions-client.ts';
import { startJobDeadline } from './job-deadline.ts';
import type { BrowserJob, BrowserOutcomeKind, BrowserResult, GithubWorkflowRunnerConfig, RunOptions, TestRunner } from './types.ts';

export interface GithubWorkflowRunnerOptions extends GithubApiOptions {
  /** `owner/name` of the repository that holds the workflow. */
  repository: string;
  /** Workflow file name (`playwright.yml`) or id. */
  workflow: string;
  /** Branch or tag of the workflow's own version. */
  ref: string;
  /** Between two looks at the run's status. Default 15 s. */
  pollIntervalMs?: number | undefined;
  /** How long a dispatched run may take to appear in the run list. Default 2 min. */
  findTimeoutMs?: number | undefined;
  /** Hard bound on status polls; by default as many as maxWait allows, plus a few. */
  maxPolls?: number | undefined;
  /** Keeps what the workflow run uploaded (reports, screenshots, traces); absent: nothing is fetched. */
  artifacts?: ArtifactKeeper | undefined;
}

const DEFAULT_POLL_MS = 15_000;
const DEFAULT_FIND_MS = 120_000;
/** Our clock and GitHub's may disagree; the run list is searched from this much before dispatch. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** A cancel request after the job's own signal fired still needs a bound of its own. */
const CANCEL_TIMEOUT_MS = 15_000;

const runSchema = z.object({
  id: z.number().int(),
  status: z.string().nullable(),
  conclusion: z.string().nullable().optional(),
  html_url: z.string(),
  name: z.string().nullable().optional(),
  display_title: z.string().optional(),
});
type WorkflowRun = z.infer<typeof runSchema>;

const runListSchema = z.object({ workflow_runs: z.array(runSchema) });
const dispatchDetailsSchema = z.object({ workflow_run_id: z.number().int(), html_url: z.string().optional() });

/** A problem with one line to say about it. */
class WorkflowError extends Error {
  override readonly name = 'WorkflowError';
}

/** Status polls ran out before maxWait did (a safety net; normally maxWait ends a run first). */
class PollsExhausted extends Error {
  override readonly name = 'PollsExhausted';
}

export class GithubWorkflowRunner implements TestRunner {
  readonly #octokit: ActionsOctokit;
  readonly #owner: string;
  readonly #repo: string;
  readonly #opts: GithubWorkflowRunnerOptions;

  constructor(opts: GithubWorkflowRunnerOptions) {
    const [owner, repo, ...rest] = opts.repository.split('/');
    if (!owner || !repo || rest.length > 0) {
      throw new ConfigError(`tests.runner.repository "${opts.repository}" is not a repository (valid: owner/name)`);
    }
    this.#owner = owner;
    this.#repo = repo;
    this.#opts = opts;
    this.#octokit = createActionsOctokit(opts);
  }

  static fromConfig(config: GithubWorkflowRunnerConfig, api: GithubApiOptions): GithubWorkflowRunner {
    return new GithubWorkflowRunner({ ...api, repository: config.repository, workflow: config.workflow, ref: config.ref });
  }

  async run(job: BrowserJob, opts: RunOptions): Promise<BrowserResult> {
    const started = performance.now();
    let run: WorkflowRun | null = null;
    const finish = (parts: Omit<ResultParts, 'durationMs' | 'reportUrl'>) =>
      browserResult(job.browser, { ...parts, durationMs: performance.now() - started, reportUrl: run?.html_url ?? null });
    const say = (line: string) => {
      try {
        opts.onOutput?.(line);
      } catch {
        // A listener's bug must not stop the tests or lose their result.
      }
    };

    if (opts.signal.aborted) return finish({ outcome: 'cancelled', detail: 'cancelled before the tests started' });
    const deadline = startJobDeadline(opts.signal, job.maxWaitMs);
    const signal = deadline.signal;
    const since = new Date(Date.now() - CLOCK_SKEW_MS);
    let dispatched = false;
    let runId: number | null = null;
    try {
      runId = await this.#dispatch(job, signal);
      dispatched = true;
      run = runId !== null ? await this.#getRun(runId, signal) : await this.#findRun(job, since, signal);
      say(`workflow run ${run.html_url}`);
      run = await this.#waitForCompletion(run, signal, job, say);
      const parts = completedParts(run);
      if (!this.#opts.artifacts || parts.outcome === 'cancelled') return finish(parts);
      return finish({ ...parts, ...(await this.#keepArtifacts(this.#opts.artifacts, job, run, signal, say)) });
    } catch (err) {
      // GitHub answered the dispatch with an error: nothing was started.
      if (!dispatched && !signal.aborted) return finish({ outcome: 'error', detail: dispatchProblem(err, this.#opts) });
      // The run keeps going on GitHub unless told otherwise: cancel it, whatever stopped us.
      const cancelId = run?.id ?? runId ?? (await this.#findRunNow(job, since).catch(() => null))?.id;
      const cancelNote = cancelId !== undefined ? await this.#cancel(cancelId) : 'no workflow run was found to cancel';
      if (signal.aborted) return finish(stoppedParts(deadline.timedOut, job, cancelNote));
      if (err instanceof PollsExhausted) return finish({ outcome: 'timed-out', detail: `${err.message}; ${cancelNote}` });
      const problem = err instanceof WorkflowError ? err.message : `GitHub API: ${errorLine(err)}`;
      return finish({ outcome: 'error', detail: `${problem}; ${cancelNote}` });
    } finally {
      deadline.dispose();
    }
  }

  /** The run's uploaded Playwright output, read and kept; a problem is said and costs only the artifacts. */
  async #keepArtifacts(
    keeper: ArtifactKeeper,
    job: BrowserJob,
    run: WorkflowRun,
    signal: AbortSignal,
    say: (line: string) => void,
  ): Promise<{ summary: PlaywrightSummary | null; artifacts: BrowserArtifacts | null }> {
    const dir = await mkdtemp(join(tmpdir(), 'stagebot-workflow-artifacts-'));
    try {
      const fetched = await fetchWorkflowArtifacts(this.#octokit, { owner: this.#owner, repo: this.#repo, runId: run.id }, dir, keeper.maxRunBytes, signal);
      for (const problem of fetched.problems) say(`workflow artifact not kept: ${problem}`);
      const files = await filesBelow(dir);
      const reports = findReports(files);
      let summary: PlaywrightSummary | null = null;
      if (reports.json) {
        try {
          summary = await readPlaywrightReport(join(dir, reports.json));
        } catch (err) {
          say(`the workflow's report.json could not be read: ${errorLine(err)}`);
        }
      }
      if (summary) summary = relocateAttachments(summary, dir, files);
      const artifacts = await keeper.keep({
        runId: job.runId,
        browser: job.browser,
        outputDir: dir,
        reportFile: join(dir, reports.json ?? 'no-report.json'),
        htmlDir: join(dir, reports.htmlDir ?? 'no-html-report'),
        summary,
      });
      return { summary, artifacts };
    } catch (err) {
      say(`the workflow run's artifacts could not be fetched: ${errorLine(err)}`);
      return { summary: null, artifacts: null };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Starts the workflow; the new run's id when GitHub says it (newer API), else null. */
  async #dispatch(job: BrowserJob, signal: AbortSignal): Promise<number | null> {
    const body = {
      owner: this.#owner,
      repo: this.#repo,
      workflow_id: this.#opts.workflow,
      ref: this.#opts.ref,
      inputs: {
        base_url: job.baseUrl,
        browser: job.browser,
        project: job.project,
        test_user: job.testUser,
        workers: String(job.workers),
        retries: String(job.retries),
        run_id: job.runId,
        ref: job.ref ?? '',
        // Only for a retest with --grep: a workflow that declares no `grep` input still takes every other dispatch.
        ...(job.grep ? { grep: job.grep } : {}),
      },
      request: { signal },
    };
    const route = 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches';
    let response: { status: number; data: unknown };
    try {
      response = await this.#octokit.request(route, { ...body, return_run_details: true });
    } catch (err) {
      // A server that predates `return_run_details` may refuse the unknown key: ask the old way.
      if (httpStatus(err) !== 422 || !/return_run_details/.test(String((err as Error).message))) throw err;
      response = await this.#octokit.request(route, body);
    }
    const details = dispatchDetailsSchema.safeParse(response.data);
    return details.success ? details.data.workflow_run_id : null;
  }

  /** Waits for the run titled `<run id> <browser>` to show up in the workflow's run list. */
  async #findRun(job: BrowserJob, since: Date, signal: AbortSignal): Promise<WorkflowRun> {
    const findMs = this.#opts.findTimeoutMs ?? DEFAULT_FIND_MS;
    const intervalMs = Math.min(this.#pollMs(), 5_000);
    const until = Date.now() + findMs;
    const maxLooks = Math.ceil(findMs / Math.max(1, intervalMs)) + 1;
    for (let look = 0; look < maxLooks; look++) {
      const run = await this.#findRunNow(job, since, signal);
      if (run) return run;
      if (Date.now() >= until) break;
      await sleep(intervalMs, undefined, { signal });
    }
    throw new WorkflowError(
      `the workflow was started but no run titled "${job.runId} ${job.browser}" appeared within ${formatDuration(findMs)}` +
        ' (the workflow must set run-name: ${{ inputs.run_id }} ${{ inputs.browser }})',
    );
  }

  async #findRunNow(job: BrowserJob, since: Date, signal?: AbortSignal): Promise<WorkflowRun | null> {
    const response = await this.#octokit.request('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', {
      owner: this.#owner,
      repo: this.#repo,
      workflow_id: this.#opts.workflow,
      event: 'workflow_dispatch',
      created: `>=${since.toISOString().replace(/\.\d{3}Z$/, 'Z')}`,
      per_page: 100,
      request: { signal: signal ?? AbortSignal.timeout(CANCEL_TIMEOUT_MS) },
    });
    const list = parseAnswer(runListSchema, response.data, 'the workflow run list');
    return list.workflow_runs.find((run) => titleNames(run.display_title ?? run.name ?? '', job)) ?? null;
  }

  async #getRun(id: number, signal: AbortSignal): Promise<WorkflowRun> {
    const response = await this.#octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
      owner: this.#owner,
      repo: this.#repo,
      run_id: id,
      request: { signal },
    });
    return parseAnswer(runSchema, response.data, `workflow run ${id}`);
  }

  async #waitForCompletion(first: WorkflowRun, signal: AbortSignal, job: BrowserJob, say: (line: string) => void): Promise<WorkflowRun> {
    const intervalMs = this.#pollMs();
    const maxPolls = this.#opts.maxPolls ?? Math.ceil(job.maxWaitMs / Math.max(1, intervalMs)) + 5;
    let run = first;
    let lastStatus = run.status;
    say(`workflow run ${run.status ?? 'pending'}`);
    for (let poll = 0; poll < maxPolls; poll++) {
      if (run.status === 'completed') return run;
      await sleep(intervalMs, undefined, { signal });
      run = await this.#getRun(run.id, signal);
      if (run.status !== lastStatus) say(`workflow run ${run.status ?? 'pending'}`);
      lastStatus = run.status;
    }
    if (run.status === 'completed') return run;
    throw new PollsExhausted(`the workflow run was still ${run.status ?? 'pending'} after ${maxPolls} status checks`);
  }

  /** Asks GitHub to cancel the run; returns what to tell a person about it. */
  async #cancel(runId: number): Promise<string> {
    try {
      await this.#octokit.request('POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel', {
        owner: this.#owner,
        repo: this.#repo,
        run_id: runId,
        // The job's signal has usually fired by now; this request must still go out.
        request: { signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS), retries: 0 },
      });
      return 'the workflow run was cancelled';
    } catch (err) {
      // 409: the run completed meanwhile, so there is nothing left to cancel.
      if (httpStatus(err) === 409) return 'the workflow run had already finished';
      return `cancelling the workflow run failed (${errorLine(err)})`;
    }
  }

  #pollMs(): number {
    return this.#opts.pollIntervalMs ?? DEFAULT_POLL_MS;
  }
}

const CONCLUSIONS: Record<string, BrowserOutcomeKind> = {
  success: 'passed',
  failure: 'failed',
  cancelled: 'cancelled',
  timed_out: 'timed-out',
};

function completedParts(run: WorkflowRun): Omit<ResultParts, 'durationMs' | 'reportUrl'> {
  const conclusion = run.conclusion ?? 'none';
  const outcome = CONCLUSIONS[conclusion] ?? 'error';
  if (outcome === 'error') return { outcome, detail: `the workflow run ended with conclusion "${conclusion}"; see the workflow run` };
  if (outcome === 'cancelled') return { outcome, detail: 'the workflow run was cancelled on GitHub' };
  if (outcome === 'timed-out') return { outcome, detail: 'the workflow run hit its GitHub Actions timeout; see the workflow run' };
  return { outcome, detail: 'see the workflow run' };
}

function stoppedParts(timedOut: boolean, job: BrowserJob, cancelNote: string | null): Omit<ResultParts, 'durationMs' | 'reportUrl'> {
  const note = cancelNote ? `; ${cancelNote}` : '';
  return timedOut
    ? { outcome: 'timed-out', detail: `no result after ${formatDuration(job.maxWaitMs)}${note}` }
    : { outcome: 'cancelled', detail: `cancelled${note}` };
}

function dispatchProblem(err: unknown, opts: GithubWorkflowRunnerOptions): string {
  const where = `${opts.workflow} in ${opts.repository}`;
  switch (httpStatus(err)) {
    case 404:
      return `workflow ${where} was not found (or the GitHub App cannot see the repository)`;
    case 401:
    case 403:
      return `GitHub refused to start ${where}: ${errorLine(err)} (the GitHub App needs the actions: write permission)`;
    case 422:
      return `GitHub refused to start ${where}: ${errorLine(err)}`;
    default:
      return `cannot start ${where}: ${errorLine(err)}`;
  }
}

/** True when a run title is `<run id> <browser>`, or contains it as whole words. */
export function titleNames(title: string, job: Pick<BrowserJob, 'runId' | 'browser'>): boolean {
  const words = title.trim().split(/\s+/);
  for (let i = 0; i + 1 < words.length; i++) if (words[i] === job.runId && words[i + 1] === job.browser) return true;
  return false;
}

function parseAnswer<T>(schema: z.ZodType<T>, data: unknown, what: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new WorkflowError(`GitHub answered with something that is not ${what}`);
  return parsed.data;
}

function httpStatus(err: unknown): number | null {
  const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
  return typeof status === 'number' ? status : null;
}
