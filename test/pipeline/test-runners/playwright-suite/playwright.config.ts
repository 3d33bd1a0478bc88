// A tiny Playwright suite that stagebot's command runner runs for real (real-playwright.test.ts),
// in Debian's Chromium instead of a browser build Playwright would download. Everything a run
// needs comes from the environment stagebot sets (BASE_URL, TEST_USER, ...); workers, retries,
// the project and the json reporter come from the command line, as in an operator's command.

import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { defineConfig } from '@playwright/test';

const reportFile = process.env.REPORT_FILE;

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  // stagebot's per-browser folder (TEST_OUTPUT_DIR, beside REPORT_FILE), which it deletes afterwards:
  // nothing lands in the repo, and only files there are kept as artifacts.
  outputDir: process.env.TEST_OUTPUT_DIR ?? (reportFile ? join(dirname(reportFile), 'test-results') : join(tmpdir(), 'stagebot-playwright-suite-results')),
  // Generous for a loaded 2-core machine; the failing test fails on its own short timeout.
  timeout: 20_000,
  expect: { timeout: 5_000 },
  // No outputFile: stagebot says where the report goes (PLAYWRIGHT_JSON_OUTPUT_FILE).
  reporter: [['json']],
  // What a failure leaves behind for stagebot to keep and link from chat.
  use: { baseURL: process.env.BASE_URL, screenshot: 'only-on-failure', trace: 'retain-on-failure', video: 'off' },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          // Without the background-networking switches Chromium keeps dialling out, and this
          // machine's closed network refuses the browser's connections.
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
