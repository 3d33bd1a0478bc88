// A run's page: what it is and where it stands, where it was asked for and reported, its steps with
// their timings (live), the per-browser results with the failing tests, its assets with their cost,
// its artifacts, and its timeline.
import type { BrowserArtifactsView } from '../../../commands/artifacts-view.ts';
import type { RunView } from '../../../commands/executor.ts';
import { estimateText, usualText } from '../../../commands/estimate-text.ts';
import type { RunEvent } from '../../../domain/run.ts';
import { durationOr, formatUsd, relative, stateBadge, when } from '../format.ts';
import { html, link, safeHref, type Html } from '../html.ts';
import { empty, tableWrap, type Page, type PageContext } from '../layout.ts';
import type { ChatLink } from '../ports.ts';
import { currentStep, runActions, signInToAct } from './common.ts';

export interface RunData {
  view: RunView;
  timeline: RunEvent[];
  links: ChatLink[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** One line for a timeline event (the engine's typed events as stored: read with care). */
export function describeEvent(e: RunEvent): string {
  const d = e.data;
  const took = num(d.durationMs) !== null ? ` in ${durationOr(num(d.durationMs))}` : '';
  switch (e.type) {
    case 'run.queued':
      return `queued at position ${str(d.position)}${d.env ? ` for ${str(d.env)}` : ''}`;
    case 'run.started':
      return `started on ${str(d.env)} (${Array.isArray(d.browsers) ? d.browsers.join(', ') : ''})`;
    case 'run.adopted':
      return `adopted from ${str(d.previousOwner) || 'a stopped process'}: ${str(d.action)} (${str(d.reason)})`;
    case 'step.started':
      return `${str(d.step)} started`;
    case 'step.finished':
      return `${str(d.step)} finished${took}`;
    case 'step.failed':
      return `${str(d.step)} failed${took}: ${str(d.error)}`;
    case 'step.skipped':
      return `${str(d.step)} skipped: ${str(d.reason)}`;
    case 'asset.created':
      return `created ${str(d.kind)} ${str(d.id)} (${str(d.region)})`;
    case 'asset.deleted':
      return `deleted ${str(d.kind)} ${str(d.id)} (${str(d.region)})`;
    case 'tests.browser': {
      const r = (d.result ?? {}) as Record<string, unknown>;
      if (!r.browser) return 'a browser reported its tests';
      return `${str(r.browser)}: ${str(r.outcome)} (${str(r.passed)} passed, ${str(r.failed)} failed)`;
    }
    case 'run.kept':
      return `kept until ${str(d.until)}`;
    case 'run.retest':
      return `retest asked by ${str(d.by)}${d.grep ? ` (tests matching ${str(d.grep)})` : ''}; kept until ${str(d.until)}`;
    case 'run.retest-interrupted':
      return `retest interrupted (${str(d.reason)}); still kept${d.until ? ` until ${str(d.until)}` : ''}`;
    case 'run.cancel-requested':
      return `cancel asked by ${str(d.by)}`;
    case 'teardown.done':
      return `teardown done: ${str(d.deleted)} deleted${Array.isArray(d.failed) && d.failed.length ? `, failed: ${d.failed.join(', ')}` : ''}`;
    case 'run.finished':
      return `finished ${str(d.state)}${d.error ? `: ${str(d.error)}` : ''}`;
    default:
      return e.type;
  }
}

function header(ctx: PageContext, view: RunView, links: ChatLink[]): Html {
  const { run } = view;
  const step = currentStep(view);
  return html`<div class="panel card">
    <dl>
      <dt>State</dt><dd>${stateBadge(run.state)}${run.cancelRequestedBy ? html` <span class="muted">cancel asked by ${run.cancelRequestedBy}</span>` : ''}</dd>
      <dt>Environment</dt><dd>${run.env ?? html`waiting for one of ${view.pool.join(', ')}`}</dd>
      ${view.queuePosition !== null ? html`<dt>Queue</dt><dd>position ${view.queuePosition}</dd>` : ''}
      ${!['succeeded', 'failed', 'cancelled'].includes(run.state) && step ? html`<dt>Step</dt><dd><span class="live-step" data-current-step="${run.id}">${step}</span></dd>` : ''}
      <dt>Asked by</dt><dd>${run.requester} <span class="muted">(${run.source})</span></dd>
      <dt>Browsers</dt><dd>${run.options.browsers.join(', ')}</dd>
      ${run.options.ref ? html`<dt>Ref</dt><dd><code>${run.options.ref}</code></dd>` : ''}
      <dt>Created</dt><dd>${when(run.createdAt)}</dd>
      <dt>Started</dt><dd>${when(run.startedAt)}</dd>
      <dt>Finished</dt><dd>${when(run.finishedAt)}${run.startedAt && run.finishedAt ? html` <span class="muted">(${durationOr(run.finishedAt.getTime() - run.startedAt.getTime())})</span>` : ''}</dd>
      ${run.expiresAt && run.state === 'kept' ? html`<dt>Kept until</dt><dd>${when(run.expiresAt)} (${relative(run.expiresAt, ctx.now)})</dd>` : ''}
      ${view.deadManSwitch ? html`<dt>Dead man's switch</dt><dd>host powers off at ${when(view.deadManSwitch.firesAt)}</dd>` : ''}
      <dt>Cost</dt><dd>${formatUsd(view.cost.usd)}${view.estimate ? html` <span class="muted">(expected ${estimateText(view.estimate)})</span>` : ''}${view.cost.unknown.length ? html` <span class="muted">(not priced: ${view.cost.unknown.join('; ')})</span>` : ''}</dd>
      ${links.map((l) => html`<dt>${l.label}</dt><dd>${link(l.url, l.url.replace(/^https?:\/\//, ''))}</dd>`)}
    </dl>
    ${run.error ? html`<p class="notice error" role="status">${run.error}</p>` : ''}
    ${runActions(ctx, run)}${signInToAct(ctx)}
  </div>`;
}

function stepsTable(view: RunView): Html {
  const byName = new Map(view.steps.map((s) => [s.name, s]));
  return tableWrap(
    'Steps',
    html`<table><caption>Steps and timings</caption>
    <thead><tr><th scope="col">Step</th><th scope="col">State</th><th scope="col">Started</th><th scope="col" class="num">Took</th><th scope="col">Usual</th><th scope="col">Error</th></tr></thead>
    <tbody>${view.timings.map((t) => {
      const s = byName.get(t.step as never);
      return html`<tr data-run-step="${view.run.id} ${t.step}" data-state="${t.state}"><th scope="row">${t.step}</th><td>${stateBadge(t.state)}</td><td>${when(s?.startedAt ?? null)}</td><td class="num">${durationOr(t.durationMs)}</td><td${t.slow ? html` class="slow"` : ''}>${t.slow ? '⚠ ' : ''}${usualText(t) || html`<span class="muted">no history</span>`}</td><td>${s?.error ?? ''}</td></tr>`;
    })}</tbody></table>`,
  );
}

function browsersTable(view: RunView): Html {
  if (view.browsers.length === 0) return empty(view.run.state === 'queued' || view.run.state === 'running' ? 'The tests have not reported yet.' : 'No browser results: the tests did not run.');
  return tableWrap(
    'Browser results',
    html`<table><caption>Tests per browser</caption>
    <thead><tr><th scope="col">Browser</th><th scope="col">Outcome</th><th scope="col" class="num">Passed</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Flaky</th><th scope="col" class="num">Skipped</th><th scope="col" class="num">Took</th><th scope="col">Failing tests</th></tr></thead>
    <tbody>${view.browsers.map(
      (b) => html`<tr><th scope="row">${b.browser}${b.reportUrl ? html` ${link(b.reportUrl, 'report')}` : ''}</th><td>${stateBadge(b.outcome)}</td><td class="num">${b.passed}</td><td class="num">${b.failed}</td><td class="num">${b.flaky}</td><td class="num">${b.skipped}</td><td class="num">${durationOr(b.durationMs)}</td>
      <td>${b.failingTests.length ? html`<ul class="plain">${b.failingTests.map((t) => html`<li><code>${t}</code></li>`)}</ul>` : ''}${b.detail ? html`<p class="muted">${b.detail.split('\n')[0]}</p>` : ''}</td></tr>`,
    )}</tbody></table>`,
  );
}

function assetsTable(view: RunView): Html {
  if (view.assets.length === 0) return empty('No AWS assets: the run has created none (yet).');
  const cost = new Map(view.cost.lines.map((l) => [l.what, l]));
  return tableWrap(
    'Assets',
    html`<table><caption>AWS assets (${view.assets.filter((a) => !a.deletedAt).length} live)</caption>
    <thead><tr><th scope="col">Kind</th><th scope="col">Id</th><th scope="col">Region</th><th scope="col">Created</th><th scope="col">State</th><th scope="col" class="num">Cost</th></tr></thead>
    <tbody>${view.assets.map((a) => {
      const line = cost.get(`${a.kind} ${a.id}`);
      return html`<tr><td>${a.kind}</td><td><code>${a.id}</code></td><td>${a.region}</td><td>${when(a.createdAt)}</td><td>${a.deletedAt ? html`deleted ${when(a.deletedAt)}` : stateBadge('live')}</td><td class="num">${line ? formatUsd(line.usd) : '—'}</td></tr>`;
    })}</tbody>
    <tfoot><tr class="total"><td colspan="5">Total</td><td class="num">${formatUsd(view.cost.usd)}</td></tr></tfoot></table>`,
  );
}

const KIND_LABEL: Record<BrowserArtifactsView['items'][number]['kind'], string> = {
  'report-json': 'JSON report',
  'report-html': 'HTML report',
  screenshot: 'screenshot',
  trace: 'trace',
  video: 'video',
  attachment: 'attachment',
};

const kb = (bytes: number) => `${Math.max(1, Math.ceil(bytes / 1024)).toLocaleString('en')} KB`;

/** One browser's kept files (kind, size, signed link; a trace also opens in the trace viewer), its failures and what the cap left out. */
function browserArtifacts(a: BrowserArtifactsView): Html {
  const items = a.items.map(
    (i) => html`<li>${link(i.url, `${KIND_LABEL[i.kind]}${i.failure ? ` (failure ${i.failure})` : ''}`)} <span class="muted">${kb(i.size)}</span>${i.viewerUrl ? html` · ${link(i.viewerUrl, 'open in the trace viewer')}` : ''}</li>`,
  );
  const failures = a.failures.map(
    (f) => html`<li>${f.location ? html`<code>${f.location}</code> ` : ''}${f.name}${f.error ? html`<br><span class="muted">${f.error}</span>` : ''}${f.traceViewer ? html` · ${link(f.traceViewer, 'open trace')}` : ''}${f.screenshot ? html` · ${link(f.screenshot, 'screenshot')}` : ''}</li>`,
  );
  const skipped = a.skipped.map((k) => html`<li>${KIND_LABEL[k.kind]} <code>${k.name}</code> <span class="muted">${kb(k.size)}: ${k.reason}</span></li>`);
  return html`<h3>${a.browser}</h3>
    <p class="muted">kept ${when(a.keptAt)} (${a.storage === 's3' ? 'S3' : 'local directory'}); ${a.gone ? html`deleted ${when(a.deleteAfter)} (retention)` : html`deleted after ${when(a.deleteAfter)}; links open without sign-in until ${when(a.linksExpire)}`}</p>
    ${items.length ? html`<ul>${items}</ul>` : ''}
    ${failures.length ? html`<h4>Failed tests</h4><ul>${failures}</ul>` : ''}
    ${skipped.length ? html`<h4>Not kept</h4><ul>${skipped}</ul>` : ''}`;
}

export function artifactsSection(view: Pick<RunView, 'artifacts'>): Html {
  return html`<section aria-labelledby="artifacts-h"><h2 id="artifacts-h">Artifacts</h2>
    ${view.artifacts.length === 0 ? empty('No artifacts were kept for this run.') : view.artifacts.map(browserArtifacts)}</section>`;
}

function timelineList(timeline: RunEvent[]): Html {
  if (timeline.length === 0) return empty('Nothing recorded yet.');
  return html`<ol class="timeline">${timeline.map((e) => html`<li>${when(e.at)} — ${describeEvent(e)}</li>`)}</ol>`;
}

export function runPage(ctx: PageContext, data: RunData): Page {
  const { view } = data;
  return {
    title: `Run ${view.run.id}`,
    active: 'runs',
    live: `run:${view.run.id}`,
    body: html`<div id="run-header" data-live-region>${header(ctx, view, data.links)}</div>
<section aria-labelledby="steps-h"><h2 id="steps-h">Steps</h2><div id="run-steps" data-live-region>${stepsTable(view)}</div></section>
<section aria-labelledby="browsers-h"><h2 id="browsers-h">Tests</h2><div id="run-browsers" data-live-region>${browsersTable(view)}</div></section>
<section aria-labelledby="assets-h"><h2 id="assets-h">Assets and cost</h2><div id="run-assets" data-live-region>${assetsTable(view)}</div></section>
${artifactsSection(view)}
<section aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2><div id="run-timeline" data-live-region>${timelineList(data.timeline)}</div></section>`,
  };
}
