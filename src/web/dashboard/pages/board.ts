// The Environments board: each environment's state, lock and current run with its live step, the
// warm pools (issue 14), the queue with estimated starts, the last day's runs, and what the last sweep found.
import type { Board, EnvView, RunView } from '../../../commands/executor.ts';
import type { PoolStanding } from '../../../commands/pool-lines.ts';
import type { Config } from '../../../config/index.ts';
import { formatUsd, plural, relative, stateBadge, when } from '../format.ts';
import { html, type Html } from '../html.ts';
import { actionForm, empty, tableWrap, type Page, type PageContext } from '../layout.ts';
import { currentStep, runActions, runLink, signInToAct } from './common.ts';

export interface BoardData {
  board: Board;
  /** The RunView of each environment's current run. */
  views: ReadonlyMap<string, RunView>;
  config: Config;
}

/** One environment. Its warm pool, if any, is in the Warm pools table below the cards. */
function envCard(ctx: PageContext, e: EnvView, view: RunView | undefined): Html {
  const { lock, run } = e;
  const state = run ? run.state : lock ? 'locked' : 'free';
  const step = view ? currentStep(view) : null;
  const stepStarted = step && view ? view.startedAt.get(step.split(', ')[0] ?? '') : undefined;
  return html`<article class="panel card" aria-labelledby="env-${e.env}">
    <h2 id="env-${e.env}">${e.env} ${stateBadge(state)}</h2>
    <dl>
      <dt>Region</dt><dd>${e.region}</dd>
      ${lock && lock.holderKind === 'person' ? html`<dt>Locked by</dt><dd>${lock.holder}</dd><dt>Reason</dt><dd>${lock.reason ?? html`<span class="muted">none given</span>`}</dd><dt>Since</dt><dd>${when(lock.since)} (${relative(lock.since, ctx.now)})</dd>` : ''}
      ${run
        ? html`<dt>Run</dt><dd>${runLink(run.id)}</dd>
          <dt>Asked by</dt><dd>${run.requester} <span class="muted">(${run.source})</span></dd>
          <dt>Step</dt><dd><span class="live-step" data-current-step="${run.id}">${step ?? 'starting'}</span>${stepStarted ? html` <span class="muted">since ${relative(stepStarted, ctx.now)}</span>` : ''}</dd>
          ${run.state === 'kept' && run.expiresAt ? html`<dt>Kept until</dt><dd>${when(run.expiresAt)} (${relative(run.expiresAt, ctx.now)})</dd>` : ''}`
        : lock ? '' : html`<dt>Run</dt><dd class="muted">none: free to launch</dd>`}
    </dl>
    ${run ? runActions(ctx, run) : ''}
    ${lock && lock.holderKind === 'person' ? actionForm(ctx, `/environments/${encodeURIComponent(e.env)}/unlock`, `Unlock ${e.env}`) : ''}
  </article>`;
}

/** What a warm launch saves, in the words of poolStandingLine (src/audit/pool-standing.ts). */
function savedCell(p: PoolStanding): Html {
  if (p.warmLaunches === 0) return html`<span class="muted">no warm launches yet</span>`;
  if (p.savedMs === null) return html`<span class="muted">${plural(p.warmLaunches, 'warm launch', 'warm launches')}, no cold one to compare with</span>`;
  return html`~${Math.max(0, Math.round(p.savedMs / 60_000))} min <span class="muted">(median of ${p.warmLaunches} warm, ${plural(p.coldLaunches, 'cold launch', 'cold launches')})</span>`;
}

function costCell(p: PoolStanding): Html {
  if (p.perDayUsd === null) return html`<span class="muted">unknown (${p.unknown.join('; ')})</span>`;
  const hours = p.hoursPerWeek < 168 ? html` <span class="muted">(kept full ${p.hoursPerWeek} h a week)</span>` : '';
  return html`${formatUsd(p.perDayUsd)}${p.fromStore ? '' : html` <span class="muted">once full</span>`}${hours}`;
}

/** Each environment's warm pool: its members by state (the store's), what it costs a day while it waits, and the minutes a warm launch saves. */
export function poolsTable(pools: readonly PoolStanding[]): Html {
  return tableWrap(
    'Warm pools',
    html`<table><caption>Warm pools (${pools.length})</caption>
    <thead><tr><th scope="col">Environment</th><th scope="col">Mode</th><th scope="col">Ready</th><th scope="col">Preparing</th><th scope="col">Size</th><th scope="col">Standing cost a day</th><th scope="col">A warm launch saves</th></tr></thead>
    <tbody>${pools.map(
      (p) => html`<tr><th scope="row">${p.env}</th><td>${p.mode}</td><td class="num">${p.ready}</td><td class="num">${p.preparing}</td><td class="num">${p.size}</td><td>${costCell(p)}</td><td>${savedCell(p)}</td></tr>`,
    )}</tbody></table>`,
  );
}

function queueTable(ctx: PageContext, board: Board): Html {
  if (board.queue.length === 0) return empty('Nobody is waiting: a launch starts at once on a free environment.');
  return tableWrap(
    'Queue',
    html`<table><caption>Queue (${board.queue.length})</caption>
    <thead><tr><th scope="col">#</th><th scope="col">Run</th><th scope="col">Environment</th><th scope="col">Asked by</th><th scope="col">Waiting since</th><th scope="col">Starts about</th></tr></thead>
    <tbody>${board.queue.map((r, i) => {
      const eta = board.queueStarts.get(r.id) ?? null;
      return html`<tr><td class="num">${i + 1}</td><td>${runLink(r.id)}</td><td>${r.env ?? html`any of ${(r.options.pool ?? []).join(', ') || 'the pool'}`}</td><td>${r.requester}</td><td>${when(r.createdAt)}</td><td>${eta ? html`${when(eta)} <span class="muted">(${relative(eta, ctx.now)})</span>` : html`<span class="muted">unknown</span>`}</td></tr>`;
    })}</tbody></table>`,
  );
}

function recentTable(board: Board): Html {
  if (board.recent.length === 0) return empty('No runs in the last day.');
  const shown = board.recent.slice(0, 10);
  return html`${tableWrap(
    'Runs of the last day',
    html`<table><caption>Last day's runs (${board.recent.length})</caption>
    <thead><tr><th scope="col">Run</th><th scope="col">Environment</th><th scope="col">State</th><th scope="col">Asked by</th><th scope="col">Created</th></tr></thead>
    <tbody>${shown.map((r) => html`<tr><td>${runLink(r.id)}</td><td>${r.env ?? '—'}</td><td>${stateBadge(r.state)}</td><td>${r.requester}</td><td>${when(r.createdAt)}</td></tr>`)}</tbody></table>`,
  )}${board.recent.length > shown.length ? html`<p><a href="/runs">All runs</a></p>` : ''}`;
}

function summary(board: Board): Html {
  const running = board.environments.filter((e) => e.run).length;
  const locked = board.environments.filter((e) => !e.run && e.lock).length;
  const o = board.orphans;
  return html`<ul class="summary" aria-label="Summary">
    <li><strong>${board.environments.length}</strong> environments</li>
    <li><strong>${running}</strong> in use</li>
    <li><strong>${locked}</strong> locked</li>
    <li><strong>${board.queue.length}</strong> queued</li>
    <li>${o ? html`<a href="/orphans"><strong>${o.count}</strong> ${o.count === 1 ? 'orphan' : 'orphans'}</a>${o.dailyUsd !== null && o.count > 0 ? ` costing ${formatUsd(o.dailyUsd)} a day` : ''} <span class="muted">(sweep ${when(o.at)})</span>` : html`<a href="/orphans">Orphans</a>: <span class="muted">no sweep yet</span>`}</li>
  </ul>`;
}

export function boardPage(ctx: PageContext, data: BoardData): Page {
  const { board, views, config } = data;
  const nothingYet = board.recent.length === 0 && board.queue.length === 0 && board.environments.every((e) => !e.run && !e.lock);
  const sweeper = config.sweeper;
  return {
    title: 'Environments',
    active: 'board',
    live: 'board',
    body: html`
<div id="board-summary" data-live-region>${summary(board)}</div>
${nothingYet
  ? html`<div class="empty" id="quick-start"><p><strong>Nothing has run yet.</strong> ${plural(board.environments.length, 'environment')} ${board.environments.length === 1 ? 'is' : 'are'} configured and free.</p>
    <p>Launch one from Slack with <code>/stage launch ${board.environments[0]?.env ?? 'stg1'}</code>, from a pull request with a <code>/e2e</code> comment, or here with <code>npx stagebot launch ${board.environments[0]?.env ?? 'stg1'}</code>. Its steps show up here live.</p>
    <p>The sweeper looks for leftovers on <code>${sweeper.schedule}</code> (${sweeper.timeZone}); <code>npx stagebot sweep</code> runs it now.</p></div>`
  : ''}
<section aria-labelledby="envs-h"><h2 id="envs-h">Environments</h2>
${signInToAct(ctx)}
<div class="cards" id="board-envs" data-live-region>${board.environments.map((e) => envCard(ctx, e, e.run ? views.get(e.run.id) : undefined))}</div></section>
${board.pools.length > 0 ? html`<section aria-labelledby="pools-h"><h2 id="pools-h">Warm pools</h2><div id="board-pools" data-live-region>${poolsTable(board.pools)}</div></section>` : ''}
<section aria-labelledby="queue-h"><h2 id="queue-h">Queue</h2><div id="board-queue" data-live-region>${queueTable(ctx, board)}</div></section>
<section aria-labelledby="recent-h"><h2 id="recent-h">Recent runs</h2><div id="board-recent" data-live-region>${recentTable(board)}</div></section>`,
  };
}
