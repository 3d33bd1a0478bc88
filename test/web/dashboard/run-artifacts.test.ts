// The run page's artifacts section: per browser, each kept file with its kind, size and signed link
// (a trace also in the trace viewer), the failed tests with their trace and screenshot, what the size
// cap left out, and when the links and the files go; an empty run says so.
import { describe, expect, it } from 'vitest';
import type { BrowserArtifactsView } from '../../../src/commands/artifacts-view.ts';
import type { RunView } from '../../../src/commands/executor.ts';
import { artifactsSection } from '../../../src/web/dashboard/pages/run.ts';

const chrome: BrowserArtifactsView = {
  browser: 'chrome',
  storage: 'local',
  keptAt: new Date('2026-11-21T10:00:00Z'),
  deleteAfter: new Date('2026-12-05T10:00:00Z'),
  gone: false,
  linksExpire: new Date('2026-11-29T00:00:00Z'),
  items: [
    { kind: 'report-html', name: 'chrome/report/index.html', size: 400_000, url: '/artifacts/t1/run/chrome/report/index.html', viewerUrl: null },
    { kind: 'trace', name: 'chrome/failures/1/trace.zip', size: 90_000, failure: 1, url: '/artifacts/t2/run/chrome/failures/1/trace.zip', viewerUrl: '/trace/index.html?trace=%2Fartifacts%2Ft2' },
  ],
  skipped: [{ kind: 'video', name: 'chrome/failures/1/video.webm', size: 9_000_000, reason: "over the run's 10MB cap", failure: 1 }],
  report: '/artifacts/t1/run/chrome/report/index.html',
  failures: [{ title: 'a.spec.ts › logs in <b>', name: 'logs in <b>', location: 'a.spec.ts:4', error: 'Error: expected <x>', screenshot: null, trace: '/artifacts/t2/x', traceViewer: '/trace/index.html?trace=%2Fartifacts%2Ft2' }],
};

const render = (artifacts: BrowserArtifactsView[]) => artifactsSection({ artifacts } as unknown as RunView).text;

describe('run page: artifacts', () => {
  it('lists kept files with their links, the failures with theirs, and what was not kept', () => {
    const text = render([chrome]);
    expect(text).toContain('<a href="/artifacts/t1/run/chrome/report/index.html">HTML report</a> <span class="muted">391 KB</span>');
    expect(text).toContain('<a href="/artifacts/t2/run/chrome/failures/1/trace.zip">trace (failure 1)</a>');
    expect(text).toContain('<a href="/trace/index.html?trace=%2Fartifacts%2Ft2">open in the trace viewer</a>');
    // Test titles and errors are text, never markup.
    expect(text).toContain('<code>a.spec.ts:4</code> logs in &lt;b&gt;<br><span class="muted">Error: expected &lt;x&gt;</span>');
    expect(text).toContain("video <code>chrome/failures/1/video.webm</code> <span class=\"muted\">8,790 KB: over the run&#39;s 10MB cap</span>");
    expect(text).toMatch(/links open without sign-in until/);
  });

  it('says when a run kept nothing, and when retention deleted what it kept', () => {
    expect(render([])).toContain('No artifacts were kept for this run.');
    const gone = render([{ ...chrome, gone: true, items: [] }]);
    expect(gone).toMatch(/deleted .*\(retention\)/);
    expect(gone).not.toContain('HTML report');
  });
});
