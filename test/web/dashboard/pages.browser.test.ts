// The dashboard in real Chromium against the real server, a real store and the fake cloud: the
// empty board of a fresh install, a run whose step changes live on its page and on the board, the
// orphans the sweeper found and what "Reap now" reaped, and the spend charts. Every page gets a
// screenshot and an axe-core check (no serious or critical violation).
import { setTimeout as delay } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseArgv } from '../../../src/commands/index.ts';
import type { Actor } from '../../../src/commands/executor.ts';
import { TAG } from '../../../src/aws/tags.ts';
import type { BrowserJob, BrowserResult, RunOptions, TestRunner } from '../../../src/pipeline/test-runners/types.ts';
import { browserResult, createWorld, INSTALLATION, REGION, useWorlds, waitForFinished, waitForState, type World } from '../../pipeline/engine/harness.ts';
import { collectConsoleErrors, HAS_CHROMIUM, newPage, screenshot, seriousViolations, useDashboards, type ServedDashboard } from './support.ts';

const CLI: Actor = { requester: 'cli:operator', source: 'cli', admin: true };

/** Browsers wait at a gate the test opens; firefox fails two tests. */
function gatedRunner(): { runner: TestRunner; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const results: Record<string, Partial<BrowserResult>> = {
    firefox: { outcome: 'failed', passed: 10, failed: 2, failingTests: ['checkout.spec.ts › cart › applies a <b>coupon</b>', 'login.spec.ts › sign in › rejects a wrong password'], detail: 'exit code 1: 2 tests failed' },
  };
  return {
    release: () => release(),
    runner: {
      async run(job: BrowserJob, opts: RunOptions): Promise<BrowserResult> {
        await Promise.race([gate, new Promise((resolve) => opts.signal.addEventListener('abort', resolve, { once: true }))]);
        return browserResult(job.browser, { durationMs: 1_234, ...results[job.browser] });
      },
    },
  };
}

const launch = (served: ServedDashboard, args: string[], actor: Actor = CLI) =>
  served.services.commands.execute(parseArgv(['launch', ...args], { environments: Object.keys(served.services.config.environments), browsers: ['chrome', 'firefox', 'safari', 'edge'] }), actor);

describe.skipIf(!HAS_CHROMIUM)('dashboard pages in Chromium', () => {
  const world = useWorlds(createWorld);
  const dashboards = useDashboards();
  const serve = (w: World) => dashboards.serve(w);
  let browser: Browser;
  beforeEach(() => {
    browser = dashboards.browser();
  });
  const readable = (data: Record<string, any>) => {
    data.dashboard = { anonymousRead: ['127.0.0.0/8', '::1/128'], auth: 'proxy', proxy: { trustedProxies: ['127.0.0.1/32'] }, admins: ['web:admin'] };
  };

  it('a fresh install shows a board that explains itself, on a desktop and on a phone', async () => {
    const w = await world({ envs: 4, configData: readable });
    const s = await serve(w);
    const { context, page } = await newPage(browser);
    const errors = collectConsoleErrors(page);
    const res = await page.goto(s.url);
    expect(res?.status()).toBe(200);
    await expect(page.locator('#quick-start').textContent()).resolves.toContain('Nothing has run yet');
    expect(await page.locator('.card h2').allTextContents()).toEqual(['stg1 free', 'stg2 free', 'stg3 free', 'stg4 free']);
    await expect(page.locator('#board-queue').textContent()).resolves.toContain('Nobody is waiting');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'board-empty');
    for (const [path, text] of [['/runs', 'No runs yet'], ['/orphans', 'No sweep has run yet'], ['/spend', 'Nothing was spent']] as const) {
      await page.goto(`${s.url}${path}`);
      await expect(page.locator('main').textContent()).resolves.toContain(text);
      expect(await seriousViolations(page), path).toEqual([]);
    }
    expect(errors).toEqual([]);
    await context.close();

    const phone = await newPage(browser, { phone: true });
    await phone.page.goto(s.url);
    // Nothing wider than the screen: no sideways scrolling of the whole page on a phone.
    expect(await phone.page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(phone.page, 'board-phone');
    await phone.context.close();
  });

  it('a run page and the board follow a step live, without reloading', async () => {
    const gated = gatedRunner();
    const w = await world({ envs: 2, configData: readable, testRunner: gated.runner });
    const s = await serve(w);
    const launched = await launch(s, ['stg1', '--browsers=chrome,firefox', '--ref=feature/checkout']);
    if (launched.kind !== 'launched') throw new Error('not launched');
    const id = launched.run.id;
    await waitForState(w.store, id, ['running']);

    const { context, page } = await newPage(browser);
    const errors = collectConsoleErrors(page);
    const board = await context.newPage();
    await page.goto(`${s.url}/runs/${id}`);
    await board.goto(s.url);
    const testsRow = page.locator(`[data-run-step="${id} tests"]`);
    await expect.poll(() => testsRow.getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
    await expect.poll(() => board.locator(`[data-current-step="${id}"]`).textContent(), { timeout: 10_000 }).toBe('tests');
    await expect.poll(() => page.locator('#live-state').textContent(), { timeout: 5_000 }).toBe('on');
    expect(await seriousViolations(board)).toEqual([]);
    await screenshot(board, 'board');
    // A reload would lose these marks: the updates below must arrive over the event stream.
    await page.evaluate('window.mark = 1');
    await board.evaluate('window.mark = 1');

    gated.release();
    await expect.poll(() => testsRow.getAttribute('data-state'), { timeout: 10_000 }).toBe('succeeded');
    await waitForFinished(w.store, id);
    await expect.poll(() => page.locator(`[data-run-step="${id} teardown"]`).getAttribute('data-state'), { timeout: 10_000 }).toBe('succeeded');
    await expect.poll(() => page.locator('#run-header .badge').first().textContent(), { timeout: 10_000 }).toBe('failed');
    await expect.poll(() => board.locator('.card h2').first().textContent(), { timeout: 10_000 }).toBe('stg1 free');
    expect(await page.evaluate('window.mark')).toBe(1);
    expect(await board.evaluate('window.mark')).toBe(1);

    // Per-browser results with the failing tests, escaped (the <b> is text, not markup).
    const firefox = page.locator('#run-browsers tr', { hasText: 'firefox' });
    await expect(firefox.textContent()).resolves.toContain('checkout.spec.ts › cart › applies a <b>coupon</b>');
    expect(await page.locator('#run-browsers b').count()).toBe(0);
    await expect(page.locator('#run-header').textContent()).resolves.toContain('feature/checkout');
    expect(await page.locator('#run-assets tbody tr').count()).toBeGreaterThanOrEqual(2);
    await expect(page.locator('#run-timeline').textContent()).resolves.toContain('firefox: failed (10 passed, 2 failed)');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'run');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('orphans show why, what they cost and when they go; Reap now reaps them; spend charts runs against orphans', async () => {
    const w = await world({ envs: 2, configData: readable });
    const s = await serve(w);
    // A run that finished (for spend), and an instance of ours that no run knows: an orphan.
    const launched = await launch(s, ['stg2', '--browsers=chrome']);
    if (launched.kind !== 'launched') throw new Error('not launched');
    await waitForFinished(w.store, launched.run.id);
    const orphanRun = 'stg1-20261101-dead00';
    const orphanId = w.cloud.addInstance({
      region: REGION,
      instanceType: 't3.2xlarge',
      launchedAt: new Date(w.clock.now().getTime() - 3 * 86_400_000),
      tags: { [TAG.assetId]: orphanRun, [TAG.managedBy]: INSTALLATION, [TAG.env]: 'stg1', [TAG.requestedBy]: 'slack:U0GONE', [TAG.source]: 'slack', Name: 'left behind' },
    });
    await s.services.commands.execute({ verb: 'sweep', mode: 'dry-run', confirm: false }, CLI);

    const { context, page } = await newPage(browser, { headers: { 'X-Forwarded-User': 'admin' } });
    const errors = collectConsoleErrors(page);
    await page.goto(`${s.url}/orphans`);
    const row = page.locator('tr', { hasText: orphanId });
    await expect(row.textContent()).resolves.toContain(orphanRun);
    expect(await row.locator('td').nth(6).textContent()).toMatch(/^\$\d+\.\d\d$/);
    expect(await row.locator('td').nth(8).textContent()).toMatch(/UTC/);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'orphans');

    // A day and more later the mark's grace period is over; the next sweep lists it as due.
    w.clock.advance(25 * 3_600_000);
    await s.services.commands.execute({ verb: 'sweep', mode: 'dry-run', confirm: false }, CLI);
    await page.goto(`${s.url}/orphans`);
    await page.getByRole('button', { name: /^Reap 1 now$/ }).click();
    await page.waitForURL(/\/orphans\?done=reaped$/);
    await expect(page.locator('.notice.ok').textContent()).resolves.toContain('Reap finished');
    await expect(page.locator('section', { hasText: 'Reaped since' }).textContent()).resolves.toContain(orphanId);
    expect(w.cloud.find(orphanId)?.resource).toMatchObject({ state: expect.stringMatching(/shutting-down|terminated/) });

    await page.goto(`${s.url}/spend`);
    expect(await page.locator('#by-env-chart rect').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#daily-chart rect').count()).toBeGreaterThanOrEqual(30);
    const stg2 = page.locator('#by-env-h + .chart-row tr', { hasText: 'stg2' });
    expect(await stg2.locator('td').first().textContent()).toBe('1');
    // The reaped orphan's cost stays in the spend: it was spent (its run id names stg1).
    const stg1 = page.locator('#by-env-h + .chart-row tr', { hasText: 'stg1' });
    expect(await stg1.locator('td').nth(2).textContent()).toBe('1');
    expect(Number((await stg1.locator('td').nth(3).textContent())!.replace('$', ''))).toBeGreaterThan(20);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'spend');
    await page.goto(`${s.url}/runs?env=stg2`);
    expect(await page.locator('#runs-list tbody tr').count()).toBe(1);
    await page.goto(`${s.url}/runs?state=nonsense`);
    await expect(page.locator('.notice.error').textContent()).resolves.toContain('unknown state `nonsense`');
    await page.goto(`${s.url}/runs`);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'runs');
    expect(errors.filter((e) => !e.includes('400'))).toEqual([]);
    await context.close();
    await delay(0);
  });
});
