// `tests.runner.kind: command`: one local process per browser, running the operator's command
// with `sh -c`. The command string is used exactly as configured; the job's values (base URL,
// user, password, ref...) reach it only as environment variables (command-env.ts). Playwright's
// json reporter writes to the per-browser REPORT_FILE, which is read after the process ends.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../../domain/duration.ts';
import type { BrowserArtifacts } from '../../domain/artifact.ts';
import type { ArtifactKeeper } from './artifact-keeper.ts';
import { browserResult, errorLine, type ResultParts } from './browser-result.ts';
import { commandEnv, unpassableEnvNames, type OutputDirs } from './command-env.ts';
import { startJobDeadline } from './job-deadline.ts';
import { TestOutput } from './test-output.ts';
import { readPlaywrightReport, type PlaywrightSummary } from './playwright-report.ts';
import { groupAlive, stopProcessGroup } from './process-group.ts';
import { expandReportUrl } from './report-url.ts';
import type { BrowserJob, BrowserResult, LocalRunnerConfig, RunOptions, TestRunner } from './types.ts';

export interface LocalRunnerOptions {
  command: string;
  cwd?: string | undefined;
  passEnv?: readonly string[] | undefined;
  /** `tests.reportUrl`: `{runId}`, `{browser}` and `{env}` are filled in. */
  reportUrl?: string | undefined;
  /** Between SIGTERM and SIGKILL when the tests are stopped. Default 10 s. */
  killGraceMs?: number | undefined;
  /** The bot's environment, from which the allowed variables are inherited. Default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
  /** Keeps the reports, screenshots, traces and videos before the job's folder is deleted; absent: nothing is kept. */
  artifacts?: ArtifactKeeper | undefined;
}

/** Lines of output kept for a result's detail. */
const DETAIL_TAIL_LINES = 20;
/** After the process exits, how long its output pipes may take to drain. */
const DRAIN_MS = 2_000;

interface Execution {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError: Error | null;
  /** The job's signal stopped the process while it was still running. */
  stopped: boolean;
}

export class LocalRunner implements TestRunner {
  readonly #opts: LocalRunnerOptions;

  constructor(opts: LocalRunnerOptions) {
    this.#opts = opts;
  }

  static fromConfig(config: LocalRunnerConfig, reportUrl?: string, artifacts?: ArtifactKeeper): LocalRunner {
    return new LocalRunner({ command: config.command, cwd: config.cwd, passEnv: config.passEnv, reportUrl, artifacts });
  }

  async run(job: BrowserJob, opts: RunOptions): Promise<BrowserResult> {
    const started = performance.now();
    const reportUrl = expandReportUrl(this.#opts.reportUrl, job.runId, job.browser);
    const tail = new TestOutput({ secrets: [job.testPassword] });
    // A detail may quote the report's errors (a global setup that could not log in), not only the output.
    let artifacts: BrowserArtifacts | null = null;
    const finish = (parts: Omit<ResultParts, 'durationMs' | 'reportUrl'>) =>
      browserResult(job.browser, { ...parts, artifacts, detail: parts.detail === null ? null : tail.redact(parts.detail), durationMs: performance.now() - started, reportUrl });

    if (opts.signal.aborted) return finish({ outcome: 'cancelled', detail: 'cancelled before the tests started' });
    const cwd = resolve(this.#opts.cwd ?? '.');
    if (!(await isDirectory(cwd))) {
      return finish({ outcome: 'error', detail: `the test command's cwd ${cwd} is not a directory` });
    }

    let reportDir: string;
    try {
      reportDir = await mkdtemp(join(tmpdir(), `stagebot-report-${fileSafe(job.browser)}-`));
    } catch (err) {
      return finish({ outcome: 'error', detail: `cannot create a directory for the report: ${errorLine(err)}` });
    }
    const deadline = startJobDeadline(opts.signal, job.maxWaitMs);
    try {
      const reportFile = join(reportDir, 'report.json');
      const dirs: OutputDirs = { testOutputDir: join(reportDir, 'test-results'), htmlReportDir: join(reportDir, 'html-report') };
      const exec = await this.#execute(job, reportFile, dirs, cwd, deadline.signal, tail, opts.onOutput);
      if (exec.spawnError) {
        return finish({ outcome: 'error', detail: `cannot start the test command: ${errorLine(exec.spawnError)}` });
      }

      let summary: PlaywrightSummary | null = null;
      let reportProblem: string | null = null;
      try {
        summary = await readPlaywrightReport(reportFile);
      } catch (err) {
        reportProblem = errorLine(err);
      }

      // Kept before the folder goes, also for a run that timed out (its partial output may say why); not after a cancel.
      if (this.#opts.artifacts && !(exec.stopped && !deadline.timedOut)) {
        artifacts = await this.#opts.artifacts.keep({ runId: job.runId, browser: job.browser, outputDir: reportDir, reportFile, htmlDir: dirs.htmlReportDir, summary });
      }

      if (exec.stopped && deadline.timedOut) {
        return finish({ outcome: 'timed-out', summary, detail: `no result after ${formatDuration(job.maxWaitMs)}; the test processes were stopped` });
      }
      if (exec.stopped) return finish({ outcome: 'cancelled', summary, detail: 'cancelled; the test processes were stopped' });

      const exitText = exec.code !== null ? `exit code ${exec.code}` : `killed by ${exec.signal ?? 'a signal'}`;
      const withTail = (line: string) => [line, ...tail.last(DETAIL_TAIL_LINES)].join('\n');
      if (reportProblem !== null) return finish({ outcome: 'error', detail: withTail(`${exitText}: ${reportProblem}`) });
      if (summary === null) {
        return finish({ outcome: 'error', detail: withTail(`${exitText}: no JSON report written to $REPORT_FILE (is the json reporter on?)`) });
      }

      const failed = exec.code !== 0 || summary.failed > 0 || summary.errors.length > 0;
      let detail: string | null = null;
      if (summary.errors.length > 0) detail = summary.errors[0] ?? null;
      else if (exec.code !== 0 && summary.failed === 0) detail = withTail(`${exitText} although the report shows no failed test`);
      return finish({ outcome: failed ? 'failed' : 'passed', summary, detail });
    } catch (err) {
      return finish({ outcome: 'error', detail: errorLine(err) });
    } finally {
      deadline.dispose();
      await rm(reportDir, { recursive: true, force: true });
    }
  }

  async #execute(
    job: BrowserJob,
    reportFile: string,
    dirs: OutputDirs,
    cwd: string,
    signal: AbortSignal,
    tail: TestOutput,
    onOutput: ((line: string) => void) | undefined,
  ): Promise<Execution> {
    const graceMs = this.#opts.killGraceMs ?? 10_000;
    const env = commandEnv(job, reportFile, { base: this.#opts.env ?? process.env, passEnv: this.#opts.passEnv, dirs });
    const unpassable = unpassableEnvNames(env);
    if (unpassable.length > 0) {
      // Node's own error would quote the value, and the value may be a password.
      return { code: null, signal: null, spawnError: new Error(`${unpassable.join(', ')} contains a NUL byte`), stopped: false };
    }
    let child: ChildProcess;
    try {
      // The command runs under a watchdog that kills its whole process group once the bot's process is
      // gone (kill -9, OOM, a crashed container): tests must not go on against an environment that the
      // bot's adopter is tearing down, or re-running. The command itself is the shell's `exec`, so its
      // exit code, signals and output are its own; the runner stops the watchdog with the group after.
      child = spawn('sh', ['-c', PARENT_DEATH_WATCHDOG, 'stagebot-tests', String(process.pid), this.#opts.command], {
        cwd,
        env,
        // Its own process group, so that stopping it reaches every process it started.
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      // Invalid arguments throw before anything runs.
      return { code: null, signal: null, spawnError: err as Error, stopped: false };
    }

    const emit = (raw: string) => {
      const line = tail.push(raw);
      try {
        onOutput?.(line);
      } catch {
        // A listener's bug must not stop the tests or lose their result.
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', emit);
    }
    const closed = new Promise<void>((done) => child.once('close', () => done()));

    let exited = false;
    let stopped = false;
    let stopping: Promise<void> = Promise.resolve();
    const onAbort = () => {
      if (exited || child.pid === undefined) return;
      stopped = true;
      stopping = stopProcessGroup(child.pid, graceMs);
    };

    const result = await new Promise<Execution>((done) => {
      child.once('error', (err) => done({ code: null, signal: null, spawnError: err, stopped: false }));
      child.once('exit', (code, sig) => {
        exited = true;
        done({ code, signal: sig, spawnError: null, stopped });
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    signal.removeEventListener('abort', onAbort);

    await stopping;
    // Anything the command left running in the background (a dev server, a browser) goes too.
    if (child.pid !== undefined && (await groupAlive(child.pid))) await stopProcessGroup(child.pid, graceMs);
    await Promise.race([closed, sleep(DRAIN_MS)]);
    child.stdout?.destroy();
    child.stderr?.destroy();
    return result;
  }
}

/**
 * `sh -c WATCHDOG name BOT_PID COMMAND`: a background loop, detached from the command's output, checks
 * every second that the bot lives and otherwise kills the process group ($$ leads it: the runner spawns
 * it detached); then the shell becomes the command.
 */
export const PARENT_DEATH_WATCHDOG =
  '( while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 -$$ ) </dev/null >/dev/null 2>&1 & exec sh -c "$2"';

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9-]/g, '_').slice(0, 32);
}
