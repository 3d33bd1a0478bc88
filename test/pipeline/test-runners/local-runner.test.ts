import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalRunner, PARENT_DEATH_WATCHDOG } from '../../../src/pipeline/test-runners/local-runner.ts';
import { processState } from '../../../src/pipeline/test-runners/process-group.ts';
import { runBrowsers } from '../../../src/pipeline/test-runners/run-browsers.ts';
import type { BrowserJob, BrowserResult } from '../../../src/pipeline/test-runners/types.ts';

// Every spawn is recorded (and then really performed) so that the command string can be checked.
const spawnCalls = vi.hoisted(() => [] as unknown[][]);
vi.mock('node:child_process', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:child_process')>();
  return {
    ...actual,
    spawn: (...args: unknown[]) => {
      spawnCalls.push(args);
      return (actual.spawn as (...a: unknown[]) => ReturnType<typeof actual.spawn>)(...args);
    },
  };
});

const FAKE = fileURLToPath(new URL('./support/fake-playwright.mjs', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const q = (path: string) => `'${path}'`;

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stagebot-cmd-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

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
    maxWaitMs: 20_000,
    ref: 'feature/login',
    ...overrides,
  };
}

const never = () => new AbortController().signal;

/** Dead, or a zombie that only waits for a parent that will never reap it (container PID 1). */
async function gone(pid: number): Promise<boolean> {
  const state = await processState(pid);
  return state === null || state.state === 'Z';
}

async function waitForFile(path: string, timeoutMs = 5_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8').trim();
      if (text) return text;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${path} never appeared`);
}

describe('LocalRunner', () => {
  it('passes every job value only through the environment, byte for byte, and leaves the command string alone', async () => {
    const canary = join(work, 'pwned');
    const evil = `a'b"$(touch ${canary})\`touch ${canary}\` ; echo "$HOME" \\ ü\ttab`;
    const dump = await mkdtemp(join(work, 'dump-'));
    const command = `node ${q(FAKE)} --dump ${q(dump)} --fixture ${q(fixture('all-passed.json'))} -- "$TEST_USER" "$STAGEBOT_REF"`;
    const runner = new LocalRunner({
      command,
      cwd: work,
      reportUrl: 'https://reports.acme.example/{runId}/{browser}/',
      env: { PATH: process.env.PATH, HOME: '/home/stagebot', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI', SLACK_BOT_TOKEN: 'xoxb-1', STAGEBOT_TEST_PASSWORD_FIREFOX: 'ff-secret', LC_ALL: 'C.UTF-8' },
    });
    const evilRef = `main; $(touch ${canary})`;
    spawnCalls.length = 0;

    const result = await runner.run(job({ testUser: evil, ref: evilRef }), { signal: never() });

    expect(result.outcome).toBe('passed');
    expect(spawnCalls).toHaveLength(1);
    expect(spawnCalls[0]?.[0]).toBe('sh');
    expect(spawnCalls[0]?.[1]).toEqual(['-c', PARENT_DEATH_WATCHDOG, 'stagebot-tests', String(process.pid), command]);
    expect(spawnCalls[0]?.[2]).toMatchObject({ detached: true, cwd: work });

    const seen = JSON.parse(await readFile(join(dump, 'chrome.json'), 'utf8'));
    expect(seen.env).toMatchObject({
      BASE_URL: 'https://stg4.staging.acme.example',
      BROWSER: 'chrome',
      PLAYWRIGHT_PROJECT: 'chromium',
      TEST_USER: evil,
      TEST_PASSWORD: 'hunter2-chrome',
      WORKERS: '3',
      RETRIES: '2',
      RUN_ID: 'stg4-20261121-a1b2c3',
      STAGEBOT_REF: evilRef,
      HOME: '/home/stagebot',
      LC_ALL: 'C.UTF-8',
    });
    expect(seen.env.REPORT_FILE).toMatch(/report\.json$/);
    expect(seen.env.PLAYWRIGHT_JSON_OUTPUT_NAME).toBe(seen.env.REPORT_FILE);
    // "$TEST_USER" expanded by the shell inside double quotes arrives unchanged too.
    expect(seen.positionals).toEqual([evil, evilRef]);
    expect(seen.cwd).toBe(work);
    expect(existsSync(canary)).toBe(false);
    // The bot's own credentials and other browsers' passwords are withheld.
    expect(seen.env).not.toHaveProperty('AWS_SECRET_ACCESS_KEY');
    expect(seen.env).not.toHaveProperty('SLACK_BOT_TOKEN');
    expect(seen.env).not.toHaveProperty('STAGEBOT_TEST_PASSWORD_FIREFOX');
    // The per-browser report directory is removed afterwards.
    expect(existsSync(seen.env.REPORT_FILE)).toBe(false);
    expect(result.reportUrl).toBe('https://reports.acme.example/stg4-20261121-a1b2c3/chrome/');
  });

  it('a retest\'s --grep reaches the command only as TEST_GREP, quoted by the command, never as shell words', async () => {
    const canary = join(work, 'pwned-grep');
    const grep = `checkout"; touch ${canary}; echo "$(touch ${canary})\`touch ${canary}\``;
    const dump = await mkdtemp(join(work, 'dump-'));
    // What the example config's command does: ${TEST_GREP:+--grep "$TEST_GREP"}.
    const command = `node ${q(FAKE)} --dump ${q(dump)} --fixture ${q(fixture('all-passed.json'))} -- \${TEST_GREP:+--grep "$TEST_GREP"}`;
    const runner = new LocalRunner({ command, cwd: work, env: { PATH: process.env.PATH, TEST_GREP: 'inherited, never passed' } });
    const result = await runner.run(job({ grep }), { signal: never() });
    expect(result.outcome).toBe('passed');
    const seen = JSON.parse(await readFile(join(dump, 'chrome.json'), 'utf8'));
    expect(seen.env.TEST_GREP).toBe(grep);
    expect(seen.positionals).toEqual(['--grep', grep]);
    expect(existsSync(canary)).toBe(false);
    // Without a grep there is none, whatever the bot's own environment holds.
    const dump2 = await mkdtemp(join(work, 'dump-'));
    const runner2 = new LocalRunner({ command: command.replace(q(dump), q(dump2)), cwd: work, env: { PATH: process.env.PATH, TEST_GREP: 'inherited' } });
    await runner2.run(job({}), { signal: never() });
    const seen2 = JSON.parse(await readFile(join(dump2, 'chrome.json'), 'utf8'));
    expect(seen2.env).not.toHaveProperty('TEST_GREP');
    expect(seen2.positionals).toEqual([]);
  });

  it('gives each browser its own report file and omits what the job does not have', async () => {
    const dump = await mkdtemp(join(work, 'dump-'));
    const runner = new LocalRunner({ command: `node ${q(FAKE)} --dump ${q(dump)} --fixture ${q(fixture('all-passed.json'))}`, cwd: work });
    await runBrowsers(runner, [job(), job({ browser: 'firefox', project: 'firefox', testPassword: undefined, ref: null })], { signal: never() });
    const chrome = JSON.parse(await readFile(join(dump, 'chrome.json'), 'utf8')).env;
    const firefox = JSON.parse(await readFile(join(dump, 'firefox.json'), 'utf8')).env;
    expect(chrome.REPORT_FILE).not.toBe(firefox.REPORT_FILE);
    expect(firefox).not.toHaveProperty('TEST_PASSWORD');
    expect(firefox).not.toHaveProperty('STAGEBOT_REF');
  });

  it('counts failed tests from the report when the command exits non-zero with one', async () => {
    const runner = new LocalRunner({ command: `node ${q(FAKE)} --fixture ${q(fixture('nested-failures.json'))} --exit 1`, cwd: work });
    const result = await runner.run(job(), { signal: never() });
    expect(result).toMatchObject({
      browser: 'chrome',
      outcome: 'failed',
      passed: 3,
      failed: 2,
      flaky: 1,
      skipped: 1,
      failingTests: ['checkout/cart.spec.ts › Cart › with a coupon › applies a 10% coupon', 'profile.spec.ts › uploads an avatar'],
      detail: null,
      reportUrl: null,
    });
    expect(result.durationMs).toBeGreaterThan(0);
  });

  it('fails with the first error when the suite could not even load', async () => {
    const runner = new LocalRunner({ command: `node ${q(FAKE)} --fixture ${q(fixture('compile-error.json'))} --exit 1`, cwd: work });
    const result = await runner.run(job(), { signal: never() });
    expect(result.outcome).toBe('failed');
    expect(result.detail).toBe('Error: /srv/e2e/tests/broken.spec.ts: Unexpected token, expected "," (12:3)');
  });

  it('redacts the test password from an error the report carries (a global setup that failed to log in)', async () => {
    const report = JSON.parse(await readFile(fixture('compile-error.json'), 'utf8'));
    report.errors = [{ message: 'Error: global setup: login as qa-chrome@acme.example / hunter2-chrome refused (401)' }];
    const leaky = join(work, 'leaky-report.json');
    await writeFile(leaky, JSON.stringify(report));
    const runner = new LocalRunner({ command: `node ${q(FAKE)} --fixture ${q(leaky)} --exit 1`, cwd: work });
    const result = await runner.run(job(), { signal: never() });
    expect(result.outcome).toBe('failed');
    expect(result.detail).toBe('Error: global setup: login as qa-chrome@acme.example / [redacted] refused (401)');
  });

  it('is an error with the output tail when no report was written', async () => {
    const runner = new LocalRunner({ command: `node ${q(FAKE)} --fail-browser chrome`, cwd: work });
    const result = await runner.run(job(), { signal: never() });
    expect(result.outcome).toBe('error');
    const [first, ...tail] = (result.detail ?? '').split('\n');
    expect(first).toBe('exit code 2: no JSON report written to $REPORT_FILE (is the json reporter on?)');
    expect(tail).toContain("Error: browserType.launch: Executable doesn't exist at /ms-playwright/firefox-1466/firefox/firefox");
    // The password the fake prints is redacted, the terminal colours are gone.
    expect(tail).toContain('logging in as qa-chrome@acme.example with password [redacted]');
  });

  it('is an error, not a crash, when the report is truncated', async () => {
    const runner = new LocalRunner({ command: `node ${q(FAKE)} --fixture ${q(fixture('nested-failures.json'))} --garbage-report --exit 1`, cwd: work });
    const result = await runner.run(job(), { signal: never() });
    expect(result.outcome).toBe('error');
    expect(result.detail?.split('\n')[0]).toMatch(/^exit code 1: the Playwright JSON report is not valid JSON \(truncated\?\)/);
  });

  it('streams output lines, cleaned, as they come', async () => {
    const runner = new LocalRunner({ command: `node ${q(FAKE)} --fixture ${q(fixture('all-passed.json'))}`, cwd: work });
    const lines: string[] = [];
    await runner.run(job(), { signal: never(), onOutput: (line) => lines.push(line) });
    expect(lines).toContain('Running tests against https://stg4.staging.acme.example in chromium using 3 workers');
    expect(lines).toContain('logging in as qa-chrome@acme.example with password [redacted]');
    expect(lines).toContain('done');
    expect(lines.join('\n')).not.toContain('hunter2-chrome');
  });

  it('is an error when the configured cwd does not exist', async () => {
    spawnCalls.length = 0;
    const runner = new LocalRunner({ command: 'true', cwd: join(work, 'no-such-dir') });
    const result = await runner.run(job(), { signal: never() });
    expect(result.outcome).toBe('error');
    expect(result.detail).toMatch(/cwd .*no-such-dir is not a directory/);
    expect(spawnCalls).toHaveLength(0);
  });

  it('refuses a value no process can receive without quoting it (it may be a password)', async () => {
    spawnCalls.length = 0;
    const result = await new LocalRunner({ command: 'true', cwd: work }).run(job({ testPassword: 'sec\0ret' }), { signal: never() });
    expect(result.outcome).toBe('error');
    expect(result.detail).toBe('cannot start the test command: TEST_PASSWORD contains a NUL byte');
    expect(spawnCalls).toHaveLength(0);
  });

  it('does not start anything when already cancelled', async () => {
    spawnCalls.length = 0;
    const controller = new AbortController();
    controller.abort();
    const result = await new LocalRunner({ command: 'true', cwd: work }).run(job(), { signal: controller.signal });
    expect(result.outcome).toBe('cancelled');
    expect(spawnCalls).toHaveLength(0);
  });

  it('stops the whole process tree when maxWait runs out', async () => {
    const pidFile = join(work, 'timeout.pid');
    // A grace longer than the test: it ends only because SIGTERM sufficed.
    const runner = new LocalRunner({ command: `sleep 30 & echo $! > ${q(pidFile)}; wait`, cwd: work, killGraceMs: 600_000 });
    const result = await runner.run(job({ maxWaitMs: 300 }), { signal: never() });
    const grandchild = Number(await waitForFile(pidFile));
    expect(result.outcome).toBe('timed-out');
    expect(result.detail).toMatch(/^no result after 300ms; the test processes were stopped$/);
    expect(await gone(grandchild)).toBe(true);
  });

  it('stops the whole process tree when the run is cancelled', async () => {
    const pidFile = join(work, 'cancel.pid');
    const runner = new LocalRunner({ command: `sleep 30 & echo $! > ${q(pidFile)}; wait`, cwd: work });
    const controller = new AbortController();
    const pending = runner.run(job(), { signal: controller.signal });
    const grandchild = Number(await waitForFile(pidFile));
    expect(await gone(grandchild)).toBe(false);
    controller.abort();
    const result = await pending;
    expect(result.outcome).toBe('cancelled');
    expect(await gone(grandchild)).toBe(true);
  });

  it('kills with SIGKILL what ignores SIGTERM, after the grace period', async () => {
    const pidFile = join(work, 'stubborn.pid');
    // Ignored signals stay ignored across exec: neither sh nor sleep reacts to SIGTERM.
    const runner = new LocalRunner({ command: `trap '' TERM; sleep 30 & echo $! > ${q(pidFile)}; wait`, cwd: work, killGraceMs: 300 });
    const result = await runner.run(job({ maxWaitMs: 200 }), { signal: never() });
    const grandchild = Number(await waitForFile(pidFile));
    expect(result.outcome).toBe('timed-out');
    // It ignores SIGTERM: only the SIGKILL after the grace can have stopped it.
    expect(await gone(grandchild)).toBe(true);
  });

  it('stops what the command left running in the background after it exited', async () => {
    const pidFile = join(work, 'straggler.pid');
    const runner = new LocalRunner({
      command: `sleep 30 & echo $! > ${q(pidFile)}; cp ${q(fixture('all-passed.json'))} "$REPORT_FILE"`,
      cwd: work,
      killGraceMs: 1_000,
    });
    const result = await runner.run(job(), { signal: never() });
    expect(result.outcome).toBe('passed');
    expect(await gone(Number(await waitForFile(pidFile)))).toBe(true);
  });
});

describe('runBrowsers with the command runner', () => {
  const browsers = [
    job({ browser: 'chrome', project: 'chromium' }),
    job({ browser: 'firefox', project: 'firefox' }),
    job({ browser: 'safari', project: 'webkit' }),
  ];

  it('runs the browsers in parallel', async () => {
    // A barrier: each browser writes a report only once all three have started, which run one after
    // another they never would (each gives up after 10 s).
    const started = join(work, 'parallel.started');
    const barrier = `echo "$BROWSER" >> ${q(started)}; for i in $(seq 1 200); do [ "$(wc -l < ${q(started)})" -ge 3 ] && break; sleep 0.05; done`;
    const runner = new LocalRunner({ command: `${barrier}; [ "$(wc -l < ${q(started)})" -ge 3 ] && cp ${q(fixture('all-passed.json'))} "$REPORT_FILE"`, cwd: work });
    const results = await runBrowsers(runner, browsers, { signal: never() });
    expect(results.map((r) => r.outcome)).toEqual(['passed', 'passed', 'passed']);
  });

  it('keeps going when one browser fails, and reports each as it finishes, in job order at the end', async () => {
    const runner = new LocalRunner({
      command: `node ${q(FAKE)} --fixture ${q(fixture('all-passed.json'))} --sleep 300 --fail-browser firefox`,
      cwd: work,
    });
    const finished: BrowserResult[] = [];
    const output: string[] = [];
    const results = await runBrowsers(runner, browsers, {
      signal: never(),
      onResult: (r) => finished.push(r),
      onOutput: (browser, line) => output.push(`${browser}: ${line}`),
    });
    expect(results.map((r) => [r.browser, r.outcome])).toEqual([
      ['chrome', 'passed'],
      ['firefox', 'error'],
      ['safari', 'passed'],
    ]);
    expect(results[0]?.passed).toBe(3);
    expect(finished.map((r) => r.browser)[0]).toBe('firefox');
    expect(finished).toHaveLength(3);
    expect(output).toContain('safari: done');
    expect(output.some((l) => l.startsWith('firefox: Error: browserType.launch'))).toBe(true);
  });
});
