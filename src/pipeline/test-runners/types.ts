import type { BrowserArtifacts, FailureDetail } from '../../domain/artifact.ts';

// The contract between the pipeline's `tests` step and the runners that execute the Playwright
// suite for one browser. Config-shaped inputs are declared here (not imported from src/config)
// so that this folder stays independent of the config loader; they are structurally compatible
// with `tests:` in stagebot.yml, with durations already in milliseconds.

/** One browser's share of a run's tests. */
export interface BrowserJob {
  runId: string;
  /** The stagebot browser name (`chrome`), a key of `browsers:` in stagebot.yml. */
  browser: string;
  /** The Playwright project that browser maps to (`chromium`). */
  project: string;
  baseUrl: string;
  testUser: string;
  /** Read from the environment variable the config names; never sent to GitHub. */
  testPassword: string | undefined;
  workers: number;
  retries: number;
  /** After this long the browser's tests are stopped and the result is `timed-out`. */
  maxWaitMs: number;
  /** The git ref the run deployed (from chat), or null. */
  ref: string | null;
  /**
   * A retest's `--grep`: only the tests whose title matches. User text: it reaches a test command only
   * as the TEST_GREP environment variable, a workflow only as its `grep` input. Absent: every test.
   */
  grep?: string | null;
}

export type BrowserOutcomeKind = 'passed' | 'failed' | 'timed-out' | 'cancelled' | 'error';

/** One browser's result; the engine's events carry it as `BrowserOutcome` (src/pipeline/events.ts). */
export interface BrowserResult {
  browser: string;
  outcome: BrowserOutcomeKind;
  passed: number;
  failed: number;
  flaky: number;
  skipped: number;
  /**
   * `file › describe › title` of each failed test, at most MAX_FAILING_TESTS of them; when there
   * were more, a last entry says `…and N more`.
   */
  failingTests: string[];
  /** The same failed tests with where and why, at most MAX_FAILING_TESTS (absent in results stored before they existed). */
  failures?: FailureDetail[] | undefined;
  /** What was kept of the run's output (reports, screenshots, traces, videos); null or absent: nothing. */
  artifacts?: BrowserArtifacts | null | undefined;
  durationMs: number;
  /** The report (command: the configured `reportUrl` template; github-workflow: the run's page). */
  reportUrl: string | null;
  /**
   * Why the outcome is what it is, when the counts do not say it: the first line is one
   * sentence (`exit code 2: no JSON report written`); for a process that produced no report the
   * following lines are the end of its output.
   */
  detail: string | null;
}

export interface RunOptions {
  /** Aborting cancels the tests (the result is `cancelled`) and stops whatever runs them. */
  signal: AbortSignal;
  /** Each line the tests print, as it comes. */
  onOutput?: (line: string) => void;
}

export interface TestRunner {
  /** Never rejects for a failure of the tests or their runner: that is an `error` result. */
  run(job: BrowserJob, opts: RunOptions): Promise<BrowserResult>;
}

/** `tests.runner` with `kind: command`. */
export interface LocalRunnerConfig {
  kind: 'command';
  /** Operator-written shell command, run with `sh -c`. Chat values reach it only through its environment. */
  command: string;
  /** Working directory; relative paths are relative to the bot's working directory. */
  cwd?: string | undefined;
  /**
   * Names of variables of the bot's own environment that the command also receives (beyond
   * PATH, HOME, locale, proxy and similar; see command-env.ts). Everything else, in particular
   * the bot's credentials, is withheld.
   */
  passEnv?: string[] | undefined;
}

/** `tests.runner` with `kind: github-workflow`. */
export interface GithubWorkflowRunnerConfig {
  kind: 'github-workflow';
  /** `owner/name`. */
  repository: string;
  /** The workflow's file name (`playwright.yml`) or numeric id. */
  workflow: string;
  /** The branch or tag whose version of the workflow runs. */
  ref: string;
}

export type RunnerConfig = LocalRunnerConfig | GithubWorkflowRunnerConfig;

/** The part of `tests:` that decides how tests run. */
export interface TestsRunnerSettings {
  runner: RunnerConfig;
  /** Link shown for a browser's report; may contain `{runId}`, `{browser}` and `{env}`. */
  reportUrl?: string | undefined;
}
