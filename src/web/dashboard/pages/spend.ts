// Spend: the last 30 days by environment, by requester and by day, runs and orphans apart, as charts
// with their numbers in a table beside each.
import type { CostLineGroup, SpendReport } from '../../../commands/reports.ts';
import { dayColumns, groupBars } from '../charts.ts';
import { formatUsd, plural, when } from '../format.ts';
import { html, type Html } from '../html.ts';
import { empty, tableWrap, type Page, type PageContext } from '../layout.ts';

export const SPEND_DAYS = 30;

function legend(): Html {
  return html`<p class="legend"><span><span class="swatch runs"></span>runs</span><span><span class="swatch orphans"></span>orphans</span></p>`;
}

function groupTable(label: string, keyName: string, groups: CostLineGroup[], total: CostLineGroup): Html {
  return tableWrap(
    label,
    html`<table><caption>${label}</caption>
    <thead><tr><th scope="col">${keyName}</th><th scope="col" class="num">Runs</th><th scope="col" class="num">Run cost</th><th scope="col" class="num">Orphans</th><th scope="col" class="num">Orphan cost</th><th scope="col" class="num">Total</th></tr></thead>
    <tbody>${groups.map((g) => html`<tr><th scope="row">${g.key}</th><td class="num">${g.runs}</td><td class="num">${formatUsd(g.runUsd)}</td><td class="num">${g.orphans}</td><td class="num">${formatUsd(g.orphanUsd)}</td><td class="num">${formatUsd(g.totalUsd)}</td></tr>`)}</tbody>
    <tfoot><tr class="total"><th scope="row">Total</th><td class="num">${total.runs}</td><td class="num">${formatUsd(total.runUsd)}</td><td class="num">${total.orphans}</td><td class="num">${formatUsd(total.orphanUsd)}</td><td class="num">${formatUsd(total.totalUsd)}</td></tr></tfoot></table>`,
  );
}

function groupSection(id: string, heading: string, keyName: string, groups: CostLineGroup[], total: CostLineGroup): Html {
  return html`<section aria-labelledby="${id}-h"><h2 id="${id}-h">${heading}</h2>
    <div class="chart-row"><figure class="panel">${legend()}${groupBars(`${id}-chart`, `${heading}: runs and orphans, USD`, groups.map((g) => ({ label: g.key, runUsd: g.runUsd, orphanUsd: g.orphanUsd })))}</figure>
    ${groupTable(heading, keyName, groups, total)}</div></section>`;
}

export function spendPage(ctx: PageContext, r: SpendReport): Page {
  const nothing = r.total.runs === 0 && r.total.orphans === 0;
  const days = r.daily.map((d) => ({ label: d.day, runUsd: d.runUsd, orphanUsd: d.orphanUsd }));
  const body = nothing
    ? empty(
        html`<strong>Nothing was spent in the last ${SPEND_DAYS} days</strong> that stagebot knows of: no run was launched, and ${r.orphansAsOf ? html`the last sweep (${when(r.orphansAsOf)}) found no orphans` : 'no sweep has listed orphans yet'}.`,
        'Each run is priced from its instance and volume hours; each orphan from what it costs a day since it was left behind, and a reaped one by what it had cost.',
      )
    : html`<ul class="summary" aria-label="Totals">
        <li><strong>${formatUsd(r.total.totalUsd)}</strong> in all</li>
        <li><strong>${formatUsd(r.total.runUsd)}</strong> on ${plural(r.total.runs, 'run')}</li>
        <li><strong>${formatUsd(r.total.orphanUsd)}</strong> on ${plural(r.total.orphans, 'orphan')}</li>
      </ul>
      <section aria-labelledby="daily-h"><h2 id="daily-h">By day</h2>
        <div class="chart-row"><figure class="panel">${legend()}${dayColumns('daily-chart', `Cost per day (UTC), last ${SPEND_DAYS} days: runs and orphans, USD`, days)}</figure>
        ${tableWrap('By day', html`<table><caption>By day (UTC)</caption><thead><tr><th scope="col">Day</th><th scope="col" class="num">Runs</th><th scope="col" class="num">Orphans</th><th scope="col" class="num">Total</th></tr></thead>
          <tbody>${[...days].reverse().filter((d) => d.runUsd + d.orphanUsd > 0).map((d) => html`<tr><th scope="row">${d.label}</th><td class="num">${formatUsd(d.runUsd)}</td><td class="num">${formatUsd(d.orphanUsd)}</td><td class="num">${formatUsd(d.runUsd + d.orphanUsd)}</td></tr>`)}</tbody></table>`)}</div></section>
      ${groupSection('by-env', 'By environment', 'Environment', r.byEnv, r.total)}
      ${groupSection('by-user', 'By requester', 'Asked by', r.byUser, r.total)}`;
  return {
    title: `Spend, last ${SPEND_DAYS} days`,
    active: 'spend',
    body: html`<p class="muted">From ${when(r.since)} to ${when(r.until)}. Orphans as listed by ${r.orphansAsOf ? html`the sweep of ${when(r.orphansAsOf)}` : 'no sweep yet'}; each run counts on the day it was created.</p>
${body}
${r.unknown.length ? html`<details><summary>${r.unknown.length} not priced (left out of the sums)</summary><ul class="plain">${r.unknown.map((u) => html`<li>${u}</li>`)}</ul></details>` : ''}`,
  };
}
