// The failed tests with their links, as the check run and the living comment show them: title,
// file:line, first error line, "open trace" (in stagebot's trace viewer) and the screenshot, and per
// browser "open report". The links are signed: they open without a GitHub or dashboard sign-in.
import bytes from 'bytes';
import type { BrowserArtifactsView } from '../../commands/artifacts-view.ts';
import { code, escapeMarkdown, link } from './markdown.ts';
import type { GithubRunView } from './run-view.ts';

function failureLine(f: BrowserArtifactsView['failures'][number], withError: boolean): string {
  const links = [f.traceViewer ? link('open trace', f.traceViewer) : null, f.screenshot ? link('screenshot', f.screenshot) : null].filter((l) => l !== null && l.startsWith('['));
  const where = f.location ? `${code(f.location)} ` : '';
  const error = withError && f.error ? ` — ${code(f.error.length > 200 ? `${f.error.slice(0, 199)}…` : f.error)}` : '';
  return `- ${where}${escapeMarkdown(f.name)}${error}${links.length ? ` · ${links.join(' · ')}` : ''}`;
}

function reportLine(a: BrowserArtifactsView): string | null {
  if (!a.report) return null;
  const l = link('open report', a.report);
  return l.startsWith('[') ? l : null;
}

/** Check run: every browser's failures (up to `max` each) with their first error, links, and what was not kept. */
export function failuresSection(view: Pick<GithubRunView, 'artifacts'>, max: number): string[] {
  const out: string[] = [];
  for (const a of view.artifacts ?? []) {
    if (a.failures.length === 0) continue;
    const report = reportLine(a);
    out.push(`**Failures on ${escapeMarkdown(a.browser)}**${report ? ` · ${report}` : ''}`);
    const lines = a.failures.slice(0, max).map((f) => failureLine(f, true));
    if (a.failures.length > max) lines.push(`- _… and ${a.failures.length - max} more in the report_`);
    out.push(lines.join('\n'));
    if (a.skipped.length > 0) {
      out.push(`_Not kept: ${a.skipped.length} file${a.skipped.length === 1 ? '' : 's'} (${bytes.format(a.skipped.reduce((n, s) => n + s.size, 0))}): ${escapeMarkdown(a.skipped[0]!.reason)}_`);
    }
    if (a.gone) out.push(`_The artifacts were deleted ${a.deleteAfter.toISOString().slice(0, 10)} (retention)._`);
    else if (report) out.push(`_Links open without sign-in until ${a.linksExpire.toISOString().slice(0, 10)}._`);
  }
  return out;
}

/** Living comment: the first few failures across browsers, with their links. */
export function failuresBrief(view: Pick<GithubRunView, 'artifacts'>, max: number): string[] {
  const all = (view.artifacts ?? []).flatMap((a) => a.failures.map((f) => ({ a, f })));
  if (all.length === 0) return [];
  const lines = all.slice(0, max).map(({ a, f }) => failureLine({ ...f, name: (view.artifacts?.length ?? 0) > 1 ? `[${a.browser}] ${f.name}` : f.name }, false));
  if (all.length > max) lines.push(`- _… and ${all.length - max} more_`);
  return lines;
}
