// The one line a run's report says about its tests:
// "all 2 browsers passed" / "2 of 3 browsers failed: firefox (3 failed), safari (timed out)".
import type { BrowserOutcome } from '../../events.ts';

const MAX_DETAIL_CHARS = 120;

function firstLine(text: string | null): string | null {
  const line = text?.split('\n', 1)[0]?.trim();
  if (!line) return null;
  return line.length > MAX_DETAIL_CHARS ? `${line.slice(0, MAX_DETAIL_CHARS - 1)}…` : line;
}

/** Why one browser did not pass, in a few words. */
export function browserProblem(r: BrowserOutcome): string {
  switch (r.outcome) {
    case 'passed':
      return 'passed';
    case 'failed':
      if (r.failed > 0) return `${r.failed} failed`;
      return firstLine(r.detail) ?? 'failed';
    case 'timed-out':
      return 'timed out';
    case 'cancelled':
      return 'cancelled';
    case 'error': {
      const detail = firstLine(r.detail);
      return detail ? `error: ${detail}` : 'error';
    }
  }
}

export function summarizeBrowsers(results: readonly BrowserOutcome[]): string {
  const n = results.length;
  const plural = n === 1 ? 'browser' : 'browsers';
  const bad = results.filter((r) => r.outcome !== 'passed');
  if (bad.length === 0) {
    const flaky = results.reduce((sum, r) => sum + r.flaky, 0);
    const passed = n === 1 ? `${results[0]?.browser ?? 'the browser'} passed` : `all ${n} ${plural} passed`;
    return flaky > 0 ? `${passed} (${flaky} flaky)` : passed;
  }
  return `${bad.length} of ${n} ${plural} failed: ${bad.map((r) => `${r.browser} (${browserProblem(r)})`).join(', ')}`;
}
