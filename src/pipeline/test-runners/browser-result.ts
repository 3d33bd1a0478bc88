// Building BrowserResults the same way in every runner.

import type { BrowserArtifacts } from '../../domain/artifact.ts';
import type { BrowserOutcomeKind, BrowserResult } from './types.ts';
import type { PlaywrightSummary } from './playwright-report.ts';

/** More failing titles than this make a chat message unreadable; the rest are counted. */
export const MAX_FAILING_TESTS = 20;

/** The first `max` titles, and `…and N more` for the rest. */
export function capFailingTests(titles: readonly string[], max = MAX_FAILING_TESTS): string[] {
  if (titles.length <= max) return [...titles];
  return [...titles.slice(0, max), `…and ${titles.length - max} more`];
}

export interface ResultParts {
  outcome: BrowserOutcomeKind;
  durationMs: number;
  reportUrl: string | null;
  detail: string | null;
  /** Counts and failing titles, when a report was read. */
  summary?: PlaywrightSummary | null | undefined;
  artifacts?: BrowserArtifacts | null | undefined;
}

export function browserResult(browser: string, parts: ResultParts): BrowserResult {
  const s = parts.summary;
  return {
    browser,
    outcome: parts.outcome,
    passed: s?.passed ?? 0,
    failed: s?.failed ?? 0,
    flaky: s?.flaky ?? 0,
    skipped: s?.skipped ?? 0,
    failingTests: capFailingTests(s?.failingTests ?? []),
    // Only when there is something to say: results without them read as they always did.
    ...(s?.failures.length ? { failures: s.failures.slice(0, MAX_FAILING_TESTS).map((f) => ({ title: f.title, location: f.location, error: f.error })) } : {}),
    ...(parts.artifacts ? { artifacts: parts.artifacts } : {}),
    durationMs: Math.max(0, Math.round(parts.durationMs)),
    reportUrl: parts.reportUrl,
    detail: parts.detail,
  };
}

/** The one line a person reads for an unexpected exception. */
export function errorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]?.trim() || 'unknown error';
}
