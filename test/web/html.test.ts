// Pages escape every value they did not write themselves, and never link to a `javascript:` URL.
import { describe, expect, it } from 'vitest';
import { html, link, safeHref } from '../../src/web/dashboard/html.ts';
import { describeEvent } from '../../src/web/dashboard/pages/run.ts';

const EVIL = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)", '&lt;already&gt;', '</textarea><svg onload=alert(1)>'];

describe('dashboard HTML', () => {
  it('escapes interpolated text in content and in attributes, arrays included', () => {
    for (const evil of EVIL) {
      const out = html`<p title="${evil}">${evil}</p><ul>${[evil, evil].map((e) => html`<li>${e}</li>`)}</ul>`.text;
      expect(out).not.toMatch(/<(script|img|svg)/);
      expect(out).not.toContain('"><');
      expect(out).not.toMatch(/'\s*onmouseover/);
    }
    expect(html`${'<b>'}${html`<i>`}${null}${undefined}${false}${0}`.text).toBe('&lt;b&gt;<i>0');
  });

  it('links http(s) and paths on this site only', () => {
    expect(safeHref('https://reports.acme.example/run/chrome/')).toBe('https://reports.acme.example/run/chrome/');
    expect(safeHref('/runs/stg1-20261121-a1b2c3')).toBe('/runs/stg1-20261121-a1b2c3');
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>', '//evil.example', '/\\evil.example', 'vbscript:x']) {
      expect(safeHref(bad), bad).toBeNull();
      expect(link(bad, 'report').text).not.toContain('href');
    }
  });

  it("timeline lines say what happened from the stored events, whatever their data holds", () => {
    const at = new Date('2026-11-21T10:00:00Z');
    expect(describeEvent({ runId: 'r', seq: 1, at, type: 'step.failed', data: { step: 'wait-ssh', durationMs: 90_000, error: 'authentication refused' } })).toBe('wait-ssh failed in 1m30s: authentication refused');
    expect(describeEvent({ runId: 'r', seq: 2, at, type: 'tests.browser', data: { result: { browser: 'firefox', outcome: 'failed', passed: 10, failed: 2 } } })).toBe('firefox: failed (10 passed, 2 failed)');
    expect(describeEvent({ runId: 'r', seq: 3, at, type: 'tests.browser', data: {} })).toBe('a browser reported its tests');
    expect(describeEvent({ runId: 'r', seq: 4, at, type: 'something.new', data: {} })).toBe('something.new');
  });
});
