// What the sweeper found: the last sweep (flagged when it could not look everywhere), each orphan with
// why it is one, what it has cost and costs a day, and when it may be reaped; what was reaped lately
// and what it had cost. Admins get "Reap now" for what is due.
import type { OrphansReport } from '../../../commands/reports.ts';
import type { Config } from '../../../config/index.ts';
import { formatDuration, formatUsd, plural, stateBadge, when } from '../format.ts';
import { html, type Html } from '../html.ts';
import { actionForm, empty, tableWrap, type Page, type PageContext } from '../layout.ts';
import { runLink } from './common.ts';

function sweepPanel(report: OrphansReport, config: Config): Html {
  const s = report.lastSweep;
  if (!s) {
    return empty(
      html`<strong>No sweep has run yet.</strong> The sweeper runs on <code>${config.sweeper.schedule}</code> (${config.sweeper.timeZone}) and lists what runs left behind in AWS.`,
      html`Run one now with <code>npx stagebot sweep</code> (it lists and marks, and deletes nothing), or <code>/stage sweep</code> in Slack.`,
    );
  }
  return html`<div class="panel">
    <p>Sweep #${s.id}, ${s.mode === 'reap' ? 'reaping' : 'listing only'}, ${when(s.startedAt)} over ${s.regions.join(', ') || 'no region'}:
      ${s.incomplete ? stateBadge('incomplete') : stateBadge('succeeded')}</p>
    ${s.incomplete
      ? html`<div class="notice warn" role="status"><p><strong>This sweep is incomplete</strong>: what it could not look at is not listed below, and the figures may be short.</p>
        <ul class="plain">${s.errors.map((e) => html`<li>${e}</li>`)}</ul></div>`
      : ''}
    <ul class="summary" aria-label="Sweep summary">
      <li><strong>${s.orphans}</strong> ${s.orphans === 1 ? 'orphan' : 'orphans'}</li>
      <li><strong>${formatUsd(s.dailyCostUsd)}</strong> a day</li>
      <li><strong>${formatUsd(s.accruedCostUsd)}</strong> so far</li>
      <li><strong>${s.dueCount}</strong> due for reaping</li>
      <li><strong>${s.reaped}</strong> reaped by it</li>
    </ul>
    ${s.needsConfirmation ? html`<p class="notice warn" role="status">More than the per-sweep limit (${config.sweeper.reapLimit}) were due, so nothing was reaped: an admin must confirm.</p>` : ''}
  </div>`;
}

function orphansTable(ctx: PageContext, report: OrphansReport): Html {
  if (report.orphans.length === 0) {
    return report.orphansAsOf ? empty(html`No orphans: everything the sweep of ${when(report.orphansAsOf)} found belongs to a live run.`) : html``;
  }
  const reapAfter = (o: OrphansReport['orphans'][number]) =>
    o.due ? stateBadge('due') : o.reapAfter ? when(o.reapAfter) : html`<span class="muted">not marked yet</span>`;
  return tableWrap(
    'Orphans',
    html`<table><caption>${plural(report.orphans.length, 'orphan')} (as of ${when(report.orphansAsOf)})</caption>
    <thead><tr><th scope="col">Kind</th><th scope="col">Id</th><th scope="col">Region</th><th scope="col">Run</th><th scope="col">Why</th><th scope="col" class="num">Orphaned for</th><th scope="col" class="num">Cost so far</th><th scope="col" class="num">Per day</th><th scope="col">Reap after</th></tr></thead>
    <tbody>${report.orphans.map(
      (o) => html`<tr><td>${o.kind}</td><td><code>${o.id}</code></td><td>${o.region}${o.env ? html` <span class="muted">(${o.env})</span>` : ''}</td><td>${o.runId ? runLink(o.runId) : '—'}</td><td>${o.reason}</td><td class="num">${formatDuration(o.ageMs)}</td><td class="num">${o.accruedUsd === null ? 'unknown' : formatUsd(o.accruedUsd)}</td><td class="num">${o.dailyUsd === null ? 'unknown' : formatUsd(o.dailyUsd)}</td><td>${reapAfter(o)}</td></tr>`,
    )}</tbody></table>`,
  );
}

function reapForm(ctx: PageContext, report: OrphansReport): Html {
  const s = report.lastSweep;
  const due = report.orphans.filter((o) => o.due);
  if (!s || due.length === 0) return html``;
  if (!ctx.csrf) return html`<p class="muted">${plural(due.length, 'orphan is', 'orphans are')} due; an admin can reap them from here once signed in, or with <code>stagebot sweep --reap</code>.</p>`;
  const daily = due.reduce((n, o) => n + (o.dailyUsd ?? 0), 0);
  return html`<div class="actions"><p>${plural(due.length, 'orphan')} past the grace period, costing ${formatUsd(daily)} a day.</p>
    ${actionForm(ctx, '/orphans/reap', `Reap ${due.length} now`, { danger: true, fields: html`<input type="hidden" name="sweep" value="${s.id}">` })}</div>`;
}

function reapedTable(report: OrphansReport): Html {
  if (report.reaped.length === 0) return empty(html`Nothing was reaped since ${when(report.reapedSince)}.`);
  return tableWrap(
    'Reaped',
    html`<table><caption>Reaped since ${when(report.reapedSince)}: ${report.reaped.length}, which had cost ${formatUsd(report.reapedUsd)}</caption>
    <thead><tr><th scope="col">When</th><th scope="col">Kind</th><th scope="col">Id</th><th scope="col">Region</th><th scope="col">Run</th><th scope="col" class="num">Had cost</th></tr></thead>
    <tbody>${report.reaped.map((r) => html`<tr><td>${when(r.reapedAt)}</td><td>${r.kind}</td><td><code>${r.assetId}</code></td><td>${r.region}</td><td>${r.runId ? runLink(r.runId) : '—'}</td><td class="num">${formatUsd(r.costUsd)}</td></tr>`)}</tbody>
    <tfoot><tr class="total"><td colspan="5">Total</td><td class="num">${formatUsd(report.reapedUsd)}</td></tr></tfoot></table>`,
  );
}

export function orphansPage(ctx: PageContext, report: OrphansReport, config: Config): Page {
  return {
    title: 'Orphans',
    active: 'orphans',
    body: html`<section aria-labelledby="sweep-h"><h2 id="sweep-h">Last sweep</h2>${sweepPanel(report, config)}</section>
<section aria-labelledby="orphans-h"><h2 id="orphans-h">Orphaned assets</h2>${reapForm(ctx, report)}${orphansTable(ctx, report)}</section>
<section aria-labelledby="reaped-h"><h2 id="reaped-h">Reaped</h2>${reapedTable(report)}</section>`,
  };
}
