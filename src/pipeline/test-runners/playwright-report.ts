// Reads the report of Playwright's `json` reporter (the JSONReport type of
// @playwright/test/reporter) into counts and the titles of the tests that failed.
// Only the fields used here are validated; everything else Playwright writes is ignored, so a
// newer Playwright that adds fields still parses, while a truncated or foreign file is refused
// with a one-line reason.

import { readFile } from 'node:fs/promises';
import { stripVTControlCharacters } from 'node:util';
import { z } from 'zod';
import { UserError } from '../../errors.ts';

/** A report file that is missing nothing but is not a Playwright JSON report. */
export class PlaywrightReportError extends UserError {
  override readonly name = 'PlaywrightReportError';
}

export interface PlaywrightSummary {
  /** Tests whose outcome was `expected` (including `test.fail()` tests that failed as expected). */
  passed: number;
  /** Tests whose outcome was `unexpected`, after all retries. */
  failed: number;
  /** Tests that failed first and passed on a retry. */
  flaky: number;
  skipped: number;
  /** Title paths of the failed tests (`file › describe › title`), in report order, uncapped. */
  failingTests: string[];
  /** Each failed test with where and why it failed and what it left behind, in report order, uncapped. */
  failures: FailedTest[];
  /** First line of each error outside any test (a file that does not compile, global setup...). */
  errors: string[];
  /** Wall time of the whole Playwright run. */
  durationMs: number;
}

/** A file a test attached (screenshot, trace, video...), as the report names it. */
export interface ReportAttachment {
  name: string;
  contentType: string;
  /** Absolute path of the file Playwright wrote. */
  path: string;
}

export interface FailedTest {
  /** `file › describe › title`, as in failingTests. */
  title: string;
  /** `tests/login.spec.ts:12`: the failing line when the report says it, else the test's own line. */
  location: string | null;
  /** First line of the last attempt's first error. */
  error: string | null;
  /** What the last failed attempt attached (only files on disk; inline bodies are left out). */
  attachments: ReportAttachment[];
}

// `outcome()` of a TestCase, as the reporter writes it into `tests[].status`.
const TEST_OUTCOMES = ['expected', 'unexpected', 'flaky', 'skipped'] as const;

const count = z.number().int().nonnegative();

const locationSchema = z.object({ file: z.string(), line: z.number() });

// Fields newer than the oldest Playwright we read are optional; a malformed one is ignored, not fatal.
const resultSchema = z.object({
  retry: count,
  status: z.string().optional().catch(undefined),
  errors: z.array(z.object({ message: z.string().optional(), location: locationSchema.optional().catch(undefined) })).optional().catch(undefined),
  errorLocation: locationSchema.optional().catch(undefined),
  attachments: z.array(z.object({ name: z.string(), contentType: z.string(), path: z.string().optional() })).optional().catch(undefined),
});

const testSchema = z.object({
  projectName: z.string(),
  status: z.enum(TEST_OUTCOMES),
  results: z.array(resultSchema),
});

const specSchema = z.object({
  title: z.string(),
  ok: z.boolean(),
  file: z.string().optional(),
  line: z.number().optional(),
  tests: z.array(testSchema),
});

interface ReportSuite {
  title: string;
  specs: z.infer<typeof specSchema>[];
  suites?: ReportSuite[] | undefined;
}

const suiteSchema: z.ZodType<ReportSuite> = z.object({
  title: z.string(),
  file: z.string(),
  specs: z.array(specSchema),
  // Absent (not empty) when a suite has no nested describes.
  get suites() {
    return z.array(suiteSchema).optional();
  },
});

const reportSchema = z.object({
  suites: z.array(suiteSchema),
  // Every Playwright release that writes `stats` writes `errors`; tolerate its absence anyway.
  errors: z.array(z.object({ message: z.string().optional(), value: z.string().optional() })).default([]),
  stats: z.object({ expected: count, unexpected: count, flaky: count, skipped: count, duration: z.number().nonnegative() }),
});

const TITLE_SEPARATOR = ' › ';

export function parsePlaywrightReport(text: string): PlaywrightSummary {
  if (text.trim() === '') throw new PlaywrightReportError('the Playwright JSON report is empty');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PlaywrightReportError(`the Playwright JSON report is not valid JSON (truncated?): ${(err as Error).message}`);
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(top level)'}: ${issue.message}`)
      .join('; ');
    throw new PlaywrightReportError(`the file is not a Playwright JSON report (${where})`);
  }
  return summarize(parsed.data);
}

/** The report at `path`, or null when no file was written there. */
export async function readPlaywrightReport(path: string): Promise<PlaywrightSummary | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PlaywrightReportError(`cannot read the Playwright JSON report: ${(err as Error).message}`);
  }
  return parsePlaywrightReport(text);
}

function summarize(report: z.infer<typeof reportSchema>): PlaywrightSummary {
  const summary: PlaywrightSummary = {
    passed: 0,
    failed: 0,
    flaky: 0,
    skipped: 0,
    failingTests: [],
    failures: [],
    errors: report.errors.map((e) => firstLine(e.message ?? e.value ?? 'unknown error')),
    durationMs: report.stats.duration,
  };
  const projects = new Set<string>();
  forEachTest(report.suites, [], (_path, _spec, test) => projects.add(test.projectName));
  // One report may hold several projects; only then does a title need the project to be unique.
  const withProject = projects.size > 1;

  forEachTest(report.suites, [], (path, spec, test) => {
    switch (test.status) {
      case 'expected':
        summary.passed++;
        break;
      case 'flaky':
        summary.flaky++;
        break;
      case 'skipped':
        summary.skipped++;
        break;
      case 'unexpected': {
        summary.failed++;
        const joined = path.join(TITLE_SEPARATOR);
        const title = withProject ? `[${test.projectName}]${TITLE_SEPARATOR}${joined}` : joined;
        summary.failingTests.push(title);
        summary.failures.push(failedTest(title, spec, test));
        break;
      }
    }
  });
  return summary;
}

type ReportTest = z.infer<typeof testSchema>;
type ReportSpec = z.infer<typeof specSchema>;

function failedTest(title: string, spec: ReportSpec, test: ReportTest): FailedTest {
  // The last attempt that failed says most (earlier ones may have failed differently).
  const failed = test.results.filter((r) => r.status !== 'passed' && r.status !== 'skipped');
  const last = failed.at(-1) ?? test.results.at(-1);
  const firstError = last?.errors?.[0];
  const at = last?.errorLocation ?? firstError?.location;
  // The report's error locations are absolute; the spec's file is relative to the test dir, which reads better.
  const file = spec.file && at && (at.file === spec.file || at.file.endsWith(`/${spec.file}`)) ? spec.file : null;
  const location = file && at ? `${file}:${at.line}` : spec.file ? `${spec.file}${spec.line ? `:${spec.line}` : ''}` : null;
  return {
    title,
    location,
    error: firstError?.message ? firstLine(firstError.message) || null : null,
    attachments: (last?.attachments ?? []).flatMap((a) => (a.path ? [{ name: a.name, contentType: a.contentType, path: a.path }] : [])),
  };
}

function forEachTest(suites: ReportSuite[], parents: string[], visit: (path: string[], spec: ReportSpec, test: ReportTest) => void): void {
  for (const suite of suites) {
    const path = suite.title === '' ? parents : [...parents, suite.title];
    for (const spec of suite.specs) for (const test of spec.tests) visit([...path, spec.title], spec, test);
    forEachTest(suite.suites ?? [], path, visit);
  }
}

function firstLine(text: string): string {
  return stripVTControlCharacters(text).trim().split('\n')[0] ?? '';
}
