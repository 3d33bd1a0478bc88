// The dashboard as stagebot serves it, for the browser tests: the services over an engine harness
// world (fake cloud, real sshd, real store), the dashboard mounted on stagebot's real HTTP server on
// 127.0.0.1, the engine started; and Debian's Chromium driven by playwright-core, with screenshots
// and an axe-core accessibility check per page.
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { chatLinks } from '../../../src/app/fronts.ts';
import { mountDashboard } from '../../../src/app/dashboard.ts';
import { openServices, type Services } from '../../../src/app/open-services.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import type { Dashboard } from '../../../src/web/dashboard/index.ts';
import type { Handler } from '../../../src/web/routes.ts';
import { createHttpServer, listen, type RunningServer } from '../../../src/web/server.ts';
import type { World } from '../../pipeline/engine/harness.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** The machine's closed network: Chromium must not try to reach Google's services. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const ROOT = join(import.meta.dirname, '..', '..', '..');
/** Test output (gitignored); `STAGEBOT_DOC_SCREENSHOTS=1` writes the README's screenshots instead. */
export const SCREENSHOT_DIR = process.env.STAGEBOT_DOC_SCREENSHOTS ? join(ROOT, 'docs', 'screenshots') : join(ROOT, 'test-output', 'dashboard');

export interface ServedDashboard {
  services: Services;
  dashboard: Dashboard;
  server: RunningServer;
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the dashboard over `world`. The server listens before the dashboard is built, so a test can
 * put the URL into the config first (`beforeMount`: GitHub sign-in needs its public URL).
 */
export async function serveDashboard(world: World, opts: { env?: Record<string, string>; logger?: Logger; beforeMount?: (url: string) => void } = {}): Promise<ServedDashboard> {
  const logger = opts.logger ?? silentLogger();
  const services = await openServices({ config: world.config, logger, background: true, aws: world.aws, store: world.store, clock: world.clock, testRunner: world.testRunner, env: {} });
  let handler: Handler = (_req, res) => void res.writeHead(503).end();
  const server = await listen(
    createHttpServer({ logger, metrics: createMetrics({ defaultMetrics: false }), fronts: [], pages: { name: 'dashboard', handler: (req, res) => handler(req, res) }, ready: () => services.store.ping() }),
    0,
    '127.0.0.1',
  );
  opts.beforeMount?.(server.url);
  const dashboard = mountDashboard({ commands: services.commands, links: chatLinks(services.store, null, 'https://api.github.com', logger), env: opts.env ?? {}, logger });
  handler = dashboard.handler;
  await services.engine.start();
  return {
    services,
    dashboard,
    server,
    url: server.url,
    async close() {
      dashboard.stop();
      await server.close(1_000);
      services.engine.abandon();
      await services.close();
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export async function newPage(browser: Browser, opts: { headers?: Record<string, string>; phone?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: opts.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 },
    ...(opts.phone ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}),
    ...(opts.headers ? { extraHTTPHeaders: opts.headers } : {}),
  });
  return { context, page: await context.newPage() };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** axe-core's serious and critical violations on the page (WCAG 2.x A and AA rules). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
  // Every finding, whatever its impact, for whoever reviews them (test output, not asserted).
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  const all = result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  appendFileSync(join(ROOT, 'test-output', 'axe.jsonl'), `${JSON.stringify({ url: new URL(page.url()).pathname, passes: result.passes.length, violations: all })}\n`);
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

/** Errors the page's script threw or logged, and CSP refusals (Chromium logs them as console errors). */
export function collectConsoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return errors;
}

/**
 * Call at a test file's top level after useWorlds: one Chromium for the file, and every dashboard
 * served (and every cleanup registered) closed after the test that made it, before its world.
 */
export function useDashboards(): { browser(): Browser; serve(world: World, opts?: Parameters<typeof serveDashboard>[1]): Promise<ServedDashboard>; onCleanup(fn: () => Promise<void>): void } {
  let browser: Browser | undefined;
  const served: ServedDashboard[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const s of served.splice(0)) await s.close();
    for (const c of cleanups.splice(0)) await c();
  });
  return {
    browser: () => {
      if (!browser) throw new Error('Chromium starts in beforeAll');
      return browser;
    },
    async serve(world, opts) {
      const s = await serveDashboard(world, opts);
      served.push(s);
      return s;
    },
    onCleanup: (fn) => void cleanups.push(fn),
  };
}
