// A run's artifacts as every front shows them: per browser, each kept file with its kind, size and a
// signed link (a trace also with its trace-viewer link), what the size cap left out, and the failed
// tests with the links to their own screenshot and trace.
import type { ArtifactKind, FailureDetail, SkippedArtifact } from '../domain/artifact.ts';
import type { BrowserOutcome } from '../pipeline/events.ts';
import type { ArtifactLinks } from './artifact-links.ts';

export interface ArtifactLinkView {
  kind: ArtifactKind;
  name: string;
  size: number;
  failure?: number | undefined;
  /** Signed link: absolute with `dashboard.publicUrl`, else a path on this server. */
  url: string;
  /** Traces: the trace viewer opening it. */
  viewerUrl: string | null;
}

export interface FailureView extends FailureDetail {
  /** The title without its leading file when `location` already names it: `Cart › applies a coupon`. */
  name: string;
  screenshot: string | null;
  trace: string | null;
  traceViewer: string | null;
}

export interface BrowserArtifactsView {
  browser: string;
  storage: 'local' | 's3';
  keptAt: Date;
  /** When retention deletes them; past it, `items` is empty (and `gone` true). */
  deleteAfter: Date;
  gone: boolean;
  /** When the links below stop opening without sign-in. */
  linksExpire: Date;
  items: ArtifactLinkView[];
  skipped: SkippedArtifact[];
  /** The HTML report, or else the JSON report. */
  report: string | null;
  failures: FailureView[];
}

export function artifactsView(runId: string, browsers: readonly BrowserOutcome[], links: ArtifactLinks, retentionMs: number, now: Date): BrowserArtifactsView[] {
  return browsers.flatMap((b) => {
    const kept = b.artifacts;
    if (!kept) return [];
    const keptAt = new Date(kept.keptAt);
    const deleteAfter = new Date(keptAt.getTime() + retentionMs);
    const gone = deleteAfter.getTime() <= now.getTime();
    const expires = links.expiry(now, keptAt);
    const items: ArtifactLinkView[] = gone
      ? []
      : kept.items.map((item) => {
          const path = links.path(runId, item.name, expires, { folder: item.kind === 'report-html' });
          return { ...item, url: links.href(path), viewerUrl: item.kind === 'trace' ? links.href(links.viewer(path)) : null };
        });
    const first = (kind: ArtifactKind, failure: number) => items.find((i) => i.kind === kind && i.failure === failure) ?? null;
    const report = items.find((i) => i.kind === 'report-html') ?? items.find((i) => i.kind === 'report-json') ?? null;
    return [
      {
        browser: b.browser,
        storage: kept.storage,
        keptAt,
        deleteAfter,
        gone,
        linksExpire: expires,
        items,
        skipped: kept.skipped,
        report: report?.url ?? null,
        failures: (b.failures ?? []).map((f, i) => {
          const trace = first('trace', i + 1);
          return { ...f, name: withoutFile(f), screenshot: first('screenshot', i + 1)?.url ?? null, trace: trace?.url ?? null, traceViewer: trace?.viewerUrl ?? null };
        }),
      },
    ];
  });
}

/** `failures.spec.ts › shows the banner` at `failures.spec.ts:6` reads `shows the banner`. */
function withoutFile(f: FailureDetail): string {
  const file = f.location?.replace(/:\d+$/, '');
  const [project, ...rest] = f.title.startsWith('[') ? [f.title.slice(0, f.title.indexOf(' › ') + 3), f.title.slice(f.title.indexOf(' › ') + 3)] : ['', f.title];
  const title = rest.join('') || f.title;
  return file && title.startsWith(`${file} › `) ? `${project}${title.slice(file.length + 3)}` : f.title;
}
