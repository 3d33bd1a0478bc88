// Test artifacts one click from chat, for real: a Playwright run in Debian's Chromium that fails on
// purpose, through the whole pipeline (fake cloud, loopback sshd) and the Slack front, keeps the JSON
// and HTML reports, the failure's screenshot and its trace. The thread lists the failing test with
// "open trace" and "open report" links and gets the screenshot through the files API; the PR comment
// and the check run of a GitHub run list the same failure with the same kind of links; and the "open
// trace" link, opened in Chromium, shows stagebot's own trace viewer rendering the trace's actions.
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactDir } from '../../src/artifacts/local-dir.ts';
import { ArtifactKeeper } from '../../src/pipeline/test-runners/artifact-keeper.ts';
import { LocalRunner } from '../../src/pipeline/test-runners/local-runner.ts';
import type { BrowserResult, TestRunner } from '../../src/pipeline/test-runners/types.ts';
import { startFrontWorld } from '../bot/github/support/front-world.ts';
import { blockText } from '../bot/slack/support/fake-slack.ts';
import { CHANNEL, startSlackWorld, type SlackWorld } from '../bot/slack/support/slack-world.ts';
import { startFixtures, waitForEnd, type Fixtures } from '../pipeline/engine/harness.ts';
import { COMMAND, stagePage, type Login } from '../pipeline/test-runners/support/stage-page.ts';
import { freePort } from '../support/sshd.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Also the HTML report: the command as an operator who wants both reporters writes it. */
const COMMAND_WITH_HTML = COMMAND.replace('--reporter=json', '--reporter=json,html');
const PASSWORD_ENV = 'STAGEBOT_TEST_PASSWORD_ARTIFACTS_E2E';
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** `<url|label>` links of a Slack mrkdwn text, by label. */
function slackLinks(text: string, label: string): string[] {
  return [...text.matchAll(/<([^|>]+)\|([^>]+)>/g)].filter((m) => m[2] === label).map((m) => m[1]!.replaceAll('&amp;', '&'));
}

function markdownLinks(text: string, label: string): string[] {
  return [...text.matchAll(/\[([^\]]+)\]\(([^)]+)\)/g)].filter((m) => m[1] === label).map((m) => m[2]!);
}

/**
 * Replays a browser result recorded from a real run, with its kept files copied under the new run's
 * id: the GitHub run shows the same artifacts without a second real Playwright run.
 */
function replayRunner(dir: string, from: { runId: string; result: BrowserResult }): TestRunner {
  return {
    async run(job) {
      await cp(join(dir, from.runId), join(dir, job.runId), { recursive: true });
      return { ...from.result, browser: job.browser };
    },
  };
}

describe.skipIf(!existsSync(CHROMIUM))('artifacts one click from chat (real Playwright, real Chromium)', () => {
  let fx: Fixtures;
  const logins: Login[] = [];
  const stage = stagePage(logins);
  let stageUrl: string;
  let dir: string;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    fx = await startFixtures();
    await new Promise<void>((listening) => stage.listen(0, '127.0.0.1', listening));
    stageUrl = `http://127.0.0.1:${(stage.address() as AddressInfo).port}/`;
    dir = await mkdtemp(join(tmpdir(), 'stagebot-artifacts-e2e-'));
    process.env[PASSWORD_ENV] = 'correct horse';
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    stage.closeAllConnections();
    await new Promise<void>((closed) => stage.close(() => closed()));
    await fx?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
    delete process.env[PASSWORD_ENV];
  });

  /** The world's config: stg1 serves the stage page, artifacts go to `dir`, links name the server's own port. */
  const configData = (port: number) => (data: Record<string, any>) => {
    data.environments.stg1.url = stageUrl;
    // The suite signs in (TEST_USER, TEST_PASSWORD) and has a test that passes on its retry.
    data.browsers.chrome.testUser = { username: 'qa+chrome@acme.example', passwordEnv: PASSWORD_ENV };
    data.tests.retries = 1;
    data.artifacts = { dir, maxRunSize: '50MB' };
    data.dashboard = { publicUrl: `http://127.0.0.1:${port}` };
  };

  it('links the failing test\'s trace and screenshot from the Slack thread and the PR, and the trace opens in the viewer', { timeout: 240_000 }, async () => {
    // 1. A real Playwright run through the Slack front.
    const slackPort = await freePort();
    const keeper = new ArtifactKeeper({ storage: new LocalArtifactDir(dir), maxRunBytes: 50 * 1024 * 1024 });
    const runner = new LocalRunner({ command: COMMAND_WITH_HTML, cwd: REPO_ROOT, passEnv: ['CHROMIUM_PATH'], artifacts: keeper });
    const w: SlackWorld = await startSlackWorld(fx, { testRunner: runner, port: slackPort, configData: configData(slackPort) });
    closers.push(() => w.close());
    await w.command('launch stg1 --browsers=chrome');
    const parent = await w.slack.waitFor('the parent message', () => w.slack.parents()[0]);
    const [launched] = await w.runs();
    const run = await waitForEnd(w.services.engine, launched!.id, 180_000);
    expect(run.state).toBe('failed');
    const view = await w.services.commands.view(run.id);
    const chrome = view.browsers[0]!;
    expect(chrome, chrome.detail ?? '').toMatchObject({ outcome: 'failed', failed: 1, flaky: 1 });

    // What was kept: the reports, and the failure's screenshot and trace, each with a signed link.
    const kept = view.artifacts[0]!;
    expect(kept.browser).toBe('chrome');
    expect(kept.skipped).toEqual([]);
    expect(new Set(kept.items.map((i) => i.kind))).toEqual(new Set(['report-json', 'report-html', 'screenshot', 'trace', 'attachment']));
    const trace = kept.items.find((i) => i.kind === 'trace')!;
    expect(trace).toMatchObject({ failure: 1, name: 'chrome/failures/1/trace.zip' });
    expect(trace.size).toBeGreaterThan(1_000);
    expect(kept.failures).toEqual([
      expect.objectContaining({ title: 'failures.spec.ts › shows the maintenance banner', location: 'failures.spec.ts:6', error: 'Error: expect(locator).toBeVisible() failed' }),
    ]);

    // 2. The Slack thread: the failing test, its location and error, and the links.
    const reply = await w.slack.waitFor('the failing-tests reply', () => w.slack.repliesTo(parent.ts).find((m) => m.text.startsWith('*Failing tests*')));
    expect(reply.channel).toBe(CHANNEL);
    expect(reply.text).toContain('`failures.spec.ts:6` shows the maintenance banner');
    expect(reply.text).toContain('Error: expect(locator).toBeVisible() failed');
    const [openTrace] = slackLinks(reply.text, 'open trace');
    const [openReport] = slackLinks(reply.text, 'open report');
    expect(openTrace).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${slackPort}/trace/index\\.html\\?trace=`));
    expect(openReport).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${slackPort}/artifacts/\\d+\\.\\d+\\.[\\w-]+/${run.id}/chrome/report/index\\.html$`));
    // The screenshot, uploaded into the thread with the files API.
    const upload = await w.slack.waitFor('the screenshot upload', () => w.slack.uploads.find((u) => u.completed));
    expect(upload.completed).toEqual({ title: 'chrome: failures.spec.ts › shows the maintenance banner', channel: CHANNEL, threadTs: parent.ts });
    expect(upload.filename).toMatch(/\.png$/);
    expect(upload.body.includes(PNG_MAGIC)).toBe(true);
    expect(w.slack.callsOf('files.getUploadURLExternal')).toHaveLength(1);
    // Once only, whatever else re-renders the thread.
    await w.settle();
    expect(w.slack.repliesTo(parent.ts).filter((m) => m.text.startsWith('*Failing tests*'))).toHaveLength(1);
    expect(blockText(w.slack.current(parent.ts)?.blocks)).toContain('1 failed');

    // 3. The links open without signing in: the report page, and the trace in the trace viewer.
    const report = await fetch(openReport!);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await report.text()).toContain('Playwright Test Report');
    const tampered = openReport!.replace(`/${run.id}/`, `/${run.id.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}/`);
    expect((await fetch(tampered)).status).toBe(403);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: BROWSER_ARGS });
    closers.push(() => browser.close());
    const page = await browser.newPage();
    await page.goto(openTrace!);
    // The viewer lists the test's actions from the trace: the navigation and the failed expectation.
    const actions = page.locator('.action-title');
    await actions.filter({ hasText: 'toBeVisible' }).first().waitFor({ timeout: 30_000 });
    const titles = await actions.allTextContents();
    expect(titles.some((t) => /^Navigate/.test(t)), titles.join(' | ')).toBe(true);
    expect(titles.find((t) => t.includes('toBeVisible'))).toContain("getByRole('heading', { name: 'Down for maintenance' })");
    // What a person sees, kept as test output.
    await page.screenshot({ path: join(tmpdir(), 'stagebot-trace-viewer.png') });

    // 4. A GitHub run with the same artifacts: the comment and the check run link them too.
    const ghPort = await freePort();
    const gw = await startFrontWorld(fx, { testRunner: replayRunner(dir, { runId: run.id, result: chrome }), port: ghPort, configData: configData(ghPort) });
    closers.push(() => gw.close());
    await gw.comment({ body: '/e2e stg1 --browsers=chrome', pr: 1 });
    await gw.until('the run to exist', async () => (await gw.services.store.listRuns()).length === 1);
    const ghRun = await waitForEnd(gw.services.engine, (await gw.onlyRun()).id, 60_000);
    await gw.settle();
    const comment = [...gw.github.comments.values()][0]!;
    expect(comment.body).toContain('**Failing tests**');
    expect(comment.body).toContain('`failures.spec.ts:6` shows the maintenance banner');
    const [commentTrace] = markdownLinks(comment.body, 'open trace');
    expect(commentTrace).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ghPort}/trace/index\\.html\\?trace=http%3A%2F%2F127\\.0\\.0\\.1%3A${ghPort}%2Fartifacts%2F`));
    const check = [...gw.github.checkRuns.values()][0]!;
    expect(check.details_url).toBe(`http://127.0.0.1:${ghPort}/runs/${ghRun.id}`);
    expect(check.output.summary).toContain('**Failures on chrome**');
    expect(check.output.summary).toContain('`failures.spec.ts:6` shows the maintenance banner — `Error: expect(locator).toBeVisible() failed`');
    expect(markdownLinks(check.output.summary, 'open trace')).toEqual([commentTrace]);
    const [screenshot] = markdownLinks(check.output.summary, 'screenshot');
    // The comment's trace link, followed to the trace itself, and the screenshot, from the GitHub run's server.
    const traceZip = await fetch(decodeURIComponent(new URL(commentTrace!).searchParams.get('trace')!));
    expect(traceZip.status).toBe(200);
    expect(traceZip.headers.get('content-type')).toBe('application/zip');
    const shot = Buffer.from(await (await fetch(screenshot!)).arrayBuffer());
    expect(shot.subarray(0, 8)).toEqual(PNG_MAGIC);
  });
});
