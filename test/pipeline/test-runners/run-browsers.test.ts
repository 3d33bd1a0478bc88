import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { browserResult } from '../../../src/pipeline/test-runners/browser-result.ts';
import { runBrowsers } from '../../../src/pipeline/test-runners/run-browsers.ts';
import type { BrowserJob, BrowserResult, TestRunner } from '../../../src/pipeline/test-runners/types.ts';

function job(browser: string): BrowserJob {
  return {
    runId: 'stg1-20261121-000001',
    browser,
    project: browser,
    baseUrl: 'https://stg1.staging.acme.example',
    testUser: `qa-${browser}@acme.example`,
    testPassword: undefined,
    workers: 1,
    retries: 0,
    maxWaitMs: 5_000,
    ref: null,
  };
}

/** Finishes each browser after the delay its name asks for; `boom` throws, `cancel-aware` waits for the signal. */
class ScriptedRunner implements TestRunner {
  readonly signals: AbortSignal[] = [];
  readonly delays: Record<string, number>;
  constructor(delays: Record<string, number>) {
    this.delays = delays;
  }
  async run(j: BrowserJob, opts: { signal: AbortSignal; onOutput?: (line: string) => void }): Promise<BrowserResult> {
    this.signals.push(opts.signal);
    opts.onOutput?.(`${j.browser} starting`);
    if (j.browser === 'boom') throw new Error('runner exploded\nwith a stack');
    try {
      await sleep(this.delays[j.browser] ?? 0, undefined, { signal: opts.signal });
    } catch {
      return browserResult(j.browser, { outcome: 'cancelled', durationMs: 0, reportUrl: null, detail: 'cancelled' });
    }
    return browserResult(j.browser, { outcome: 'passed', durationMs: this.delays[j.browser] ?? 0, reportUrl: null, detail: null });
  }
}

describe('runBrowsers', () => {
  it('returns results in job order and reports each as it finishes', async () => {
    const runner = new ScriptedRunner({ chrome: 120, firefox: 10, safari: 60 });
    const finished: string[] = [];
    const results = await runBrowsers(runner, [job('chrome'), job('firefox'), job('safari')], {
      signal: new AbortController().signal,
      onResult: (r) => finished.push(r.browser),
    });
    expect(results.map((r) => r.browser)).toEqual(['chrome', 'firefox', 'safari']);
    expect(finished).toEqual(['firefox', 'safari', 'chrome']);
  });

  it('turns a runner that throws into an error result for that browser only', async () => {
    const runner = new ScriptedRunner({ chrome: 20 });
    const results = await runBrowsers(runner, [job('chrome'), job('boom')], { signal: new AbortController().signal });
    expect(results[0]?.outcome).toBe('passed');
    expect(results[1]).toMatchObject({ browser: 'boom', outcome: 'error', detail: 'the test runner failed: runner exploded' });
  });

  it('labels output with its browser and survives listeners that throw', async () => {
    const runner = new ScriptedRunner({});
    const lines: string[] = [];
    const results = await runBrowsers(runner, [job('chrome'), job('edge')], {
      signal: new AbortController().signal,
      onOutput: (browser, line) => {
        lines.push(`${browser}|${line}`);
        throw new Error('front bug');
      },
      onResult: () => {
        throw new Error('front bug');
      },
    });
    expect(results.map((r) => r.outcome)).toEqual(['passed', 'passed']);
    expect(lines.sort()).toEqual(['chrome|chrome starting', 'edge|edge starting']);
  });

  it('cancels every browser still running when the signal aborts', async () => {
    const runner = new ScriptedRunner({ chrome: 10, firefox: 10_000, safari: 10_000 });
    const controller = new AbortController();
    const pending = runBrowsers(runner, [job('chrome'), job('firefox'), job('safari')], {
      signal: controller.signal,
      onResult: (r) => {
        if (r.browser === 'chrome') controller.abort();
      },
    });
    const results = await pending;
    expect(results.map((r) => r.outcome)).toEqual(['passed', 'cancelled', 'cancelled']);
  });

  it('resolves to nothing for no jobs', async () => {
    expect(await runBrowsers(new ScriptedRunner({}), [], { signal: new AbortController().signal })).toEqual([]);
  });
});
