// The runs list with its filters (environment, requester, source, state, date), newest first, a page
// at a time. A filter value that makes no sense is said so in one line, and that filter is not applied.
import type { RunQuery } from '../../../commands/executor.ts';
import { RUN_STATES, SOURCES, type Run, type RunState, type Source } from '../../../domain/run.ts';
import { durationOr, stateBadge, when } from '../format.ts';
import { html, type Html } from '../html.ts';
import { empty, tableWrap, type Page, type PageContext } from '../layout.ts';
import { runLink } from './common.ts';

export const RUNS_PAGE_SIZE = 50;

export interface RunFilters {
  env: string;
  requester: string;
  source: string;
  state: string;
  from: string;
  to: string;
  before: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The query's filters as the store takes them, and each problem in one line. */
export function readFilters(params: URLSearchParams, environments: readonly string[]): { filters: RunFilters; query: RunQuery; problems: string[] } {
  const get = (k: string) => (params.get(k) ?? '').trim().slice(0, 200);
  const filters: RunFilters = { env: get('env'), requester: get('requester'), source: get('source'), state: get('state'), from: get('from'), to: get('to'), before: get('before') };
  const query: RunQuery = { limit: RUNS_PAGE_SIZE };
  const problems: string[] = [];
  if (filters.env) {
    if (environments.includes(filters.env)) query.env = filters.env;
    else problems.push(`unknown environment \`${filters.env}\`; known: ${environments.join(', ')}`);
  }
  if (filters.requester) query.requester = filters.requester;
  if (filters.source) {
    if ((SOURCES as readonly string[]).includes(filters.source)) query.source = filters.source as Source;
    else problems.push(`unknown source \`${filters.source}\`; valid: ${SOURCES.join(', ')}`);
  }
  if (filters.state) {
    if ((RUN_STATES as readonly string[]).includes(filters.state)) query.states = [filters.state as RunState];
    else problems.push(`unknown state \`${filters.state}\`; valid: ${RUN_STATES.join(', ')}`);
  }
  const day = (value: string, name: string): Date | null => {
    if (!value) return null;
    const d = new Date(`${value}T00:00:00Z`);
    if (DATE.test(value) && !Number.isNaN(d.getTime())) return d;
    problems.push(`${name} \`${value}\` is not a date like 2026-11-21`);
    return null;
  };
  const from = day(filters.from, 'from');
  const to = day(filters.to, 'to');
  if (from) query.since = from;
  // `to` is a whole day: runs created before the next midnight.
  if (to) query.before = new Date(to.getTime() + 86_400_000);
  if (filters.before) {
    const b = new Date(filters.before);
    if (Number.isNaN(b.getTime())) problems.push(`before \`${filters.before}\` is not a time`);
    else if (!query.before || b < query.before) query.before = b;
  }
  return { filters, query, problems };
}

function filterForm(f: RunFilters, environments: readonly string[]): Html {
  const option = (value: string, selected: string, label = value) => html`<option value="${value}"${value === selected ? html` selected` : ''}>${label}</option>`;
  return html`<form class="filters" method="get" action="/runs" role="search" aria-label="Filter runs">
    <label>Environment <select name="env">${option('', f.env, 'any')}${environments.map((e) => option(e, f.env))}</select></label>
    <label>Asked by <input name="requester" value="${f.requester}" placeholder="slack:U123, github:octocat" size="20"></label>
    <label>Source <select name="source">${option('', f.source, 'any')}${SOURCES.map((s) => option(s, f.source))}</select></label>
    <label>State <select name="state">${option('', f.state, 'any')}${RUN_STATES.map((s) => option(s, f.state, s.replace('_', ' ')))}</select></label>
    <label>From <input type="date" name="from" value="${f.from}"></label>
    <label>To <input type="date" name="to" value="${f.to}"></label>
    <button type="submit">Filter</button> <a href="/runs">Clear</a>
  </form>`;
}

function olderLink(f: RunFilters, runs: Run[]): Html {
  const last = runs.at(-1);
  if (runs.length < RUNS_PAGE_SIZE || !last) return html``;
  const params = new URLSearchParams(Object.entries({ ...f, before: last.createdAt.toISOString() }).filter(([, v]) => v !== ''));
  return html`<p><a href="/runs?${params.toString()}">Older runs</a></p>`;
}

export function runsPage(ctx: PageContext, data: { runs: Run[]; filters: RunFilters; problems: string[]; environments: readonly string[] }): Page {
  const { runs, filters } = data;
  const filtered = Object.entries(filters).some(([k, v]) => k !== 'before' && v !== '');
  const table = runs.length
    ? tableWrap(
        'Runs',
        html`<table><caption>${runs.length}${runs.length === RUNS_PAGE_SIZE ? '+' : ''} runs, newest first</caption>
      <thead><tr><th scope="col">Run</th><th scope="col">Environment</th><th scope="col">State</th><th scope="col">Asked by</th><th scope="col">Source</th><th scope="col">Created</th><th scope="col" class="num">Took</th><th scope="col">Error</th></tr></thead>
      <tbody>${runs.map(
        (r) => html`<tr><td>${runLink(r.id)}</td><td>${r.env ?? '—'}</td><td>${stateBadge(r.state)}</td><td>${r.requester}</td><td>${r.source}</td><td>${when(r.createdAt)}</td><td class="num">${r.startedAt && r.finishedAt ? durationOr(r.finishedAt.getTime() - r.startedAt.getTime()) : '—'}</td><td>${(r.error ?? '').split('\n')[0]}</td></tr>`,
      )}</tbody></table>`,
      )
    : filtered
      ? empty('No run matches these filters.', html`<a href="/runs">Show all runs</a>`)
      : empty('No runs yet.', html`Launch one with <code>/stage launch</code> in Slack, <code>/e2e</code> on a pull request, or <code>npx stagebot launch</code>.`);
  return {
    title: 'Runs',
    active: 'runs',
    live: 'board',
    notice: data.problems.length ? { kind: 'error', text: `${data.problems.join('; ')} (that filter is not applied)` } : null,
    body: html`${filterForm(filters, data.environments)}<div id="runs-list" data-live-region>${table}${olderLink(filters, runs)}</div>`,
  };
}
