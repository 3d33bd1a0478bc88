import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capFailingTests } from '../../../src/pipeline/test-runners/browser-result.ts';
import {
  parsePlaywrightReport,
  PlaywrightReportError,
  readPlaywrightReport,
} from '../../../src/pipeline/test-runners/playwright-report.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parsePlaywrightReport', () => {
  it('counts an all-green run across files and describes', () => {
    const summary = parsePlaywrightReport(fixture('all-passed.json'));
    expect(summary).toEqual({
      passed: 3,
      failed: 0,
      flaky: 0,
      skipped: 0,
      failingTests: [],
      failures: [],
      errors: [],
      durationMs: 6120.418,
    });
  });

  it('names failures in nested describes by their full title path, and counts flaky, skipped and expected failures', () => {
    const summary = parsePlaywrightReport(fixture('nested-failures.json'));
    expect(summary.failingTests).toEqual([
      'checkout/cart.spec.ts › Cart › with a coupon › applies a 10% coupon',
      'profile.spec.ts › uploads an avatar',
    ]);
    // The flaky test failed on its first attempt and passed on retry: flaky, not failed.
    // `test.fail()` that failed is an expected outcome.
    expect({ passed: summary.passed, failed: summary.failed, flaky: summary.flaky, skipped: summary.skipped }).toEqual({
      passed: 3,
      failed: 2,
      flaky: 1,
      skipped: 1,
    });
  });

  it('agrees with the stats block Playwright computed itself', () => {
    for (const name of ['all-passed.json', 'nested-failures.json', 'multi-project.json', 'real-chromium-1.65.json']) {
      const text = fixture(name);
      const stats = JSON.parse(text).stats;
      const s = parsePlaywrightReport(text);
      expect([s.passed, s.failed, s.flaky, s.skipped], name).toEqual([stats.expected, stats.unexpected, stats.flaky, stats.skipped]);
    }
  });

  it('reads a report a real Playwright 1.65 run wrote (playwright-suite/ in Chromium, paths anonymised)', () => {
    // Unlike the hand-written fixtures: annotations (with locations) on each result, the retry's
    // result beside the first for flaky and failed tests, error messages with terminal colours.
    expect(parsePlaywrightReport(fixture('real-chromium-1.65.json'))).toEqual({
      passed: 1,
      failed: 1,
      flaky: 1,
      skipped: 1,
      failingTests: ['failures.spec.ts › shows the maintenance banner'],
      failures: [
        {
          title: 'failures.spec.ts › shows the maintenance banner',
          // The failing line (6), not the test's (3); the file as the test dir names it.
          location: 'failures.spec.ts:6',
          error: 'Error: expect(locator).toBeVisible() failed',
          attachments: [
            {
              name: 'error-context',
              contentType: 'text/markdown',
              path: '/srv/e2e/.reports/chrome/test-results/failures-shows-the-maintenance-banner-chromium-retry1/error-context.md',
            },
          ],
        },
      ],
      errors: [],
      durationMs: 8958.966,
    });
  });

  it('prefixes the project when one report holds several, and counts tests that never ran as skipped', () => {
    const summary = parsePlaywrightReport(fixture('multi-project.json'));
    expect(summary.failingTests).toEqual(['[firefox] › search.spec.ts › Search › finds a mentor by name']);
    expect(summary.passed).toBe(4);
    expect(summary.skipped).toBe(1);
  });

  it('reports errors outside any test as their first line, without terminal colours', () => {
    const summary = parsePlaywrightReport(fixture('compile-error.json'));
    expect(summary.errors).toEqual(['Error: /srv/e2e/tests/broken.spec.ts: Unexpected token, expected "," (12:3)']);
    expect(summary.passed + summary.failed + summary.flaky + summary.skipped).toBe(0);
  });

  it('refuses a truncated report with a one-line reason', () => {
    const text = fixture('nested-failures.json');
    const truncated = text.slice(0, Math.floor(text.length / 2));
    expect(() => parsePlaywrightReport(truncated)).toThrow(PlaywrightReportError);
    expect(() => parsePlaywrightReport(truncated)).toThrow(/not valid JSON \(truncated\?\)/);
  });

  it('refuses an empty file', () => {
    expect(() => parsePlaywrightReport('  \n')).toThrow(/report is empty/);
  });

  it('refuses JSON of another shape and says where it differs', () => {
    const report = JSON.parse(fixture('nested-failures.json'));
    report.suites[0].suites[0].suites[0].specs[0].tests[0].status = 'failed';
    let error: unknown;
    try {
      parsePlaywrightReport(JSON.stringify(report));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PlaywrightReportError);
    const message = (error as Error).message;
    expect(message).toContain('not a Playwright JSON report');
    expect(message).toContain('suites.0.suites.0.suites.0.specs.0.tests.0.status');
    expect(message).not.toContain('\n');
  });

  it('refuses a JSON document that is not a report at all (e.g. a jest result)', () => {
    const jest = JSON.stringify({ numFailedTests: 0, numPassedTests: 3, testResults: [] });
    expect(() => parsePlaywrightReport(jest)).toThrow(/not a Playwright JSON report \(suites: .*stats: /);
    expect(() => parsePlaywrightReport('[]')).toThrow(PlaywrightReportError);
    expect(() => parsePlaywrightReport('null')).toThrow(PlaywrightReportError);
  });

  it('ignores fields it does not use, so a newer Playwright still parses', () => {
    const report = JSON.parse(fixture('all-passed.json'));
    report.somethingNew = { shards: 4 };
    report.suites[0].specs[0].tests[0].newField = true;
    expect(parsePlaywrightReport(JSON.stringify(report)).passed).toBe(3);
  });
});

describe('readPlaywrightReport', () => {
  it('returns null when no report was written, and the summary when one was', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stagebot-report-test-'));
    try {
      expect(await readPlaywrightReport(join(dir, 'missing.json'))).toBeNull();
      await writeFile(join(dir, 'report.json'), fixture('nested-failures.json'));
      expect((await readPlaywrightReport(join(dir, 'report.json')))?.failed).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('capFailingTests', () => {
  it('keeps 20 titles and counts the rest', () => {
    const titles = Array.from({ length: 27 }, (_, i) => `a.spec.ts › test ${i + 1}`);
    const capped = capFailingTests(titles);
    expect(capped).toHaveLength(21);
    expect(capped[19]).toBe('a.spec.ts › test 20');
    expect(capped[20]).toBe('…and 7 more');
    expect(capFailingTests(titles.slice(0, 20))).toEqual(titles.slice(0, 20));
  });
});
