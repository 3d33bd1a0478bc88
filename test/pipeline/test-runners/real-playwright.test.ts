// The command runner driving a REAL `npx playwright test` in Debian's Chromium against a page
// served here, so that what the fixtures assume (the environment Playwright sees, where its json
// reporter writes, how flaky/skipped/failed tests look in the report) is checked against the
// real thing. Skipped where Chromium is not installed (.ci/run installs it).

import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRunner } from '../../../src/pipeline/test-runners/local-runner.ts';
import { processState } from '../../../src/pipeline/test-runners/process-group.ts';
import type { BrowserJob } from '../../../src/pipeline/test-runners/types.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SUITE_CONFIG = 'test/pipeline/test-runners/playwright-suite/playwright.config.ts';
// An operator's command, written the way stagebot.example.yml suggests.
const COMMAND = `npx playwright test --config=${SUITE_CONFIG} --project="$PLAYWRIGHT_PROJECT" --workers="$WORKERS" --retries="$RETRIES" --reporter=json`;
const MAX_BODY_BYTES = 4_096;

interface Login {
  user: string | null;
  password: string | null;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > MAX_BODY_BYTES) throw new Error('body too large');
  }
  return body;
}

/** The staging app under test: a heading and a login form; it remembers who signed in. */
function stagePage(logins: Login[]): Server {
  return createServer((req, res) => {
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><title>Acme staging</title></head><body>${html}</body></html>`);
    };
    if (req.method === 'GET' && req.url === '/') {
      send(
        200,
        `<h1>Acme staging</h1>
         <form method="post" action="/login">
           <label>User <input name="user"></label>
           <label>Password <input name="password" type="password"></label>
           <button type="submit">Sign in</button>
         </form>`,
      );
      return;
    }
    if (req.method === 'POST' && req.url === '/login') {
      readBody(req).then(
        (body) => {
          const form = new URLSearchParams(body);
          const login = { user: form.get('user'), password: form.get('password') };
          logins.push(login);
          send(200, `<h1>Welcome, ${escapeHtml(login.user ?? '')}</h1>`);
        },
        () => send(413, '<h1>Too large</h1>'),
      );
      return;
    }
    send(404, '<h1>Not found</h1>');
  });
}

/** Live (not zombie) processes whose environment carries `RUN_ID=runId`: the run's whole tree. */
async function processesOfRun(runId: string): Promise<number[]> {
  const marker = `\0RUN_ID=${runId}\0`;
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    try {
      environ = `\0${await readFile(`/proc/${name}/environ`, 'utf8')}`;
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (!environ.includes(marker)) continue;
    const state = await processState(name);
    if (state && state.state !== 'Z' && state.state !== 'X') found.push(Number(name));
  }
  return found;
}

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
