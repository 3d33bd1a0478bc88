// The command runner driving a REAL `npx playwright test` in Debian's Chromium against a page
// served here, so that what the fixtures assume (the environment Playwright sees, where its json
// reporter writes, how flaky/skipped/failed tests look in the report) is checked against the
// real thing. Skipped where Chromium is not installed (.ci/run installs it).

import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRunner } from '../../../src/pipeline/test-runners/local-runner.ts';
import type { BrowserJob } from '../../../src/pipeline/test-runners/types.ts';
import { COMMAND, processesOfRun, stagePage, type Login } from './support/stage-page.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe.skipIf(!existsSync(CHROMIUM))('LocalRunner with a real Playwright run in Chromium', () => {
  const logins: Login[] = [];
  const server = stagePage(logins);
  // Unique per test run, so that the process scan finds only what this run started.
  const runId = `real-pw-${process.pid}-${Date.now().toString(36)}`;
  let baseUrl: string;

  beforeAll(async () => {
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    // The runner should have stopped everything already (asserted below); never leave a browser behind.
    for (const pid of await processesOfRun(runId)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    server.closeAllConnections();
    await new Promise<void>((closed) => server.close(() => closed()));
  });

  it('runs the suite for one browser and reports passed, failed, flaky and skipped tests', { timeout: 60_000 }, async () => {
    const runner = LocalRunner.fromConfig({ kind: 'command', command: COMMAND, cwd: REPO_ROOT, passEnv: ['CHROMIUM_PATH'] });
    const job: BrowserJob = {
      runId,
      browser: 'chrome',
      project: 'chromium',
      baseUrl,
      testUser: 'qa+chrome@acme.example',
      testPassword: 'hunter2 "chrome"',
      // Not Playwright's default on a 2-core machine (1), so the output shows WORKERS arrived.
      workers: 2,
      retries: 1,
      // Well inside the test's timeout: a hang ends as `timed-out` with the processes stopped.
      maxWaitMs: 45_000,
      ref: null,
    };
    const output: string[] = [];

    const result = await runner.run(job, { signal: new AbortController().signal, onOutput: (line) => output.push(line) });

    expect(result, result.detail ?? output.slice(-20).join('\n')).toMatchObject({
      browser: 'chrome',
      outcome: 'failed',
      passed: 1,
      failed: 1,
      flaky: 1,
      skipped: 1,
      failingTests: ['failures.spec.ts › shows the maintenance banner'],
      detail: null,
    });
    // TEST_USER and TEST_PASSWORD reached the page through the browser, exactly as given.
    expect(logins).toEqual([{ user: 'qa+chrome@acme.example', password: 'hunter2 "chrome"' }]);
    expect(output.some((line) => /\busing 2 workers\b/.test(line))).toBe(true);
    expect(output.join('\n')).not.toContain('hunter2');
    // Playwright, its workers and every Chromium process are gone when the result is in.
    expect(await processesOfRun(runId)).toEqual([]);
  });
});
