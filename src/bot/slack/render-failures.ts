// The reply a failed run's thread gets once its tests are over: per browser, the failing tests (title,
// file:line, first error line) with "open trace" and screenshot links, the "open report" link, until
// when the links open without sign-in, and what the size cap left out.
import bytes from 'bytes';
import type { BrowserArtifactsView } from '../../commands/artifacts-view.ts';
import type { RunView } from '../../commands/executor.ts';
import { code, esc, fit, when } from './mrkdwn.ts';

const MAX_FAILURES_SHOWN = 8;

/** A link only when it can be opened from Slack: an absolute http(s) URL (`dashboard.publicUrl` set). */
function link(url: string | null, label: string): string | null {
  return url && /^https?:\/\//.test(url) ? `<${esc(url).replaceAll('|', '%7C')}|${label}>` : null;
}

function browserSection(a: BrowserArtifactsView, failed: number): string[] {
  const report = link(a.report, 'open report');
  const head = `:x: *${esc(a.browser)}*: ${failed} failed${report ? ` · ${report}` : ''}`;
  const lines = a.failures.slice(0, MAX_FAILURES_SHOWN).map((f) => {
    const where = f.location ? `${code(f.location)} ` : '';
    const error = f.error ? `\n      ${esc(f.error.length > 200 ? `${f.error.slice(0, 199)}…` : f.error)}` : '';
    const links = [link(f.traceViewer, 'open trace'), link(f.screenshot, 'screenshot')].filter((l) => l !== null);
    return `  • ${where}${esc(f.name)}${links.length ? ` · ${links.join(' · ')}` : ''}${error}`;
  });
  const more = Math.max(failed, a.failures.length) - Math.min(a.failures.length, MAX_FAILURES_SHOWN);
  if (more > 0) lines.push(`  … and ${more} more in the report`);
  if (a.skipped.length > 0) {
    const size = bytes.format(a.skipped.reduce((n, s) => n + s.size, 0)) ?? '';
    lines.push(`  _not kept: ${a.skipped.length} file${a.skipped.length === 1 ? '' : 's'} (${size}): ${esc(a.skipped[0]!.reason)}_`);
  }
  return [head, ...lines];
}

/** The failing-tests reply, or null when no browser kept anything to show about a failure. */
export function renderFailures(view: Pick<RunView, 'artifacts' | 'browsers'>): string | null {
  const failing = view.artifacts.filter((a) => a.failures.length > 0 && !a.gone);
  if (failing.length === 0) return null;
  const sections = failing.flatMap((a) => browserSection(a, view.browsers.find((b) => b.browser === a.browser)?.failed ?? a.failures.length));
  const expires = failing.map((a) => a.linksExpire.getTime()).reduce((x, y) => Math.min(x, y));
  const linked = failing.some((a) => link(a.report, '') !== null);
  const footer = linked ? `_Links open without sign-in until ${when(new Date(expires))}._` : '_Set `dashboard.publicUrl` for links to the traces and reports._';
  return fit([`*Failing tests*`, ...sections, footer].join('\n'));
}

/** The screenshot to upload under the summary: the first failure's that was kept. */
export function firstScreenshot(view: Pick<RunView, 'artifacts'>): { browser: string; name: string; title: string } | null {
  for (const a of view.artifacts) {
    if (a.gone) continue;
    const shot = a.items.find((i) => i.kind === 'screenshot' && i.failure === 1);
    if (shot) return { browser: a.browser, name: shot.name, title: `${a.browser}: ${a.failures[0]?.title ?? 'first failure'}` };
  }
  return null;
}
