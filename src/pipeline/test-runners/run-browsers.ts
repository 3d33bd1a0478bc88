// The tests step's fan-out: every browser at once, each on its own.

import { browserResult, errorLine } from './browser-result.ts';
import type { BrowserJob, BrowserResult, TestRunner } from './types.ts';

export interface RunBrowsersOptions {
  /** Aborting cancels every browser still running. */
  signal: AbortSignal;
  /** Called as each browser finishes, in finishing order. */
  onResult?: (result: BrowserResult) => void;
  onOutput?: (browser: string, line: string) => void;
}

/**
 * Runs all jobs in parallel and resolves with their results in job order. A browser that fails,
 * times out (its own `maxWaitMs`, enforced by the runner) or whose runner throws never stops
 * the others; it only yields its own `failed` / `timed-out` / `error` result.
 */
export function runBrowsers(runner: TestRunner, jobs: readonly BrowserJob[], opts: RunBrowsersOptions): Promise<BrowserResult[]> {
  return Promise.all(
    jobs.map(async (job) => {
      const started = performance.now();
      let result: BrowserResult;
      try {
        result = await runner.run(job, {
          signal: opts.signal,
          ...(opts.onOutput ? { onOutput: (line: string) => callSafely(() => opts.onOutput?.(job.browser, line)) } : {}),
        });
      } catch (err) {
        result = browserResult(job.browser, {
          outcome: 'error',
          durationMs: performance.now() - started,
          reportUrl: null,
          detail: `the test runner failed: ${errorLine(err)}`,
        });
      }
      callSafely(() => opts.onResult?.(result));
      return result;
    }),
  );
}

// A listener's bug (a chat message that fails to render) must not lose the other browsers' results.
function callSafely(fn: () => void): void {
  try {
    fn();
  } catch {
    // deliberately ignored, see above
  }
}
