// The page around every dashboard page: landmarks (header, nav, main, footer), a skip link, who is
// signed in, the live-update status that screen readers hear, and the forms' CSRF field.
import type { Viewer } from '../access/index.ts';
import { VERSION } from '../../version.ts';
import { html, type Html, type HtmlValue } from './html.ts';
import type { StaticFiles } from './static-files.ts';

export type NavKey = 'board' | 'runs' | 'orphans' | 'spend';

const NAV: { key: NavKey; href: string; label: string }[] = [
  { key: 'board', href: '/', label: 'Environments' },
  { key: 'runs', href: '/runs', label: 'Runs' },
  { key: 'orphans', href: '/orphans', label: 'Orphans' },
  { key: 'spend', href: '/spend', label: 'Spend' },
];

export interface Notice {
  kind: 'ok' | 'error' | 'warn';
  text: string;
}

/** What every page is rendered for. */
export interface PageContext {
  viewer: Viewer;
  /** The token for this viewer's forms; null: they may not act (anonymous). */
  csrf: string | null;
  installation: string;
  auth: 'none' | 'github' | 'proxy';
  files: StaticFiles;
  now: Date;
  /** The request's path and query, for "sign in and come back". */
  path: string;
}

export interface Page {
  title: string;
  active: NavKey | null;
  /** What the live feed follows: `board`, `run:<id>`, or null for none. */
  live?: string | null;
  notice?: Notice | null;
  body: Html;
}

function who(ctx: PageContext): Html {
  const { viewer } = ctx;
  if (viewer.requester) {
    return html`<span>Signed in as <strong>${viewer.name}</strong>${viewer.admin ? ' (admin)' : ''}</span>
      ${viewer.via === 'github' ? html`<form method="post" action="/signout"><input type="hidden" name="_csrf" value="${ctx.csrf ?? ''}"><button type="submit">Sign out</button></form>` : ''}`;
  }
  if (ctx.auth === 'github') return html`<span>Not signed in</span> <a href="/signin?returnTo=${encodeURIComponent(ctx.path)}">Sign in</a>`;
  return html`<span>Not signed in</span>`;
}

export function notice(n: Notice | null | undefined): Html {
  if (!n) return html``;
  return html`<p class="notice ${n.kind}" role="${n.kind === 'error' ? 'alert' : 'status'}">${n.text}</p>`;
}

export function layout(ctx: PageContext, page: Page): Html {
  return html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · stagebot</title>
<link rel="stylesheet" href="${ctx.files.url('app.css')}">
<script src="${ctx.files.url('app.js')}" defer></script>
</head>
<body${page.live ? html` data-live="${page.live}"` : ''}>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <div class="brand"><a href="/">stagebot</a><span class="inst">${ctx.installation}</span></div>
  <nav aria-label="Main"><ul>${NAV.map((n) => html`<li><a href="${n.href}"${n.key === page.active ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>
  <div class="who">${who(ctx)}</div>
</header>
<main id="main" tabindex="-1">
<h1>${page.title}</h1>
${notice(page.notice)}
${page.body}
</main>
<div id="live-status" class="visually-hidden" aria-live="polite"></div>
<footer>stagebot ${VERSION}${page.live ? html` · live updates: <span id="live-state">connecting</span>` : ''}</footer>
</body>
</html>`;
}

/** A one-button form that POSTs to `action` with the viewer's CSRF token; nothing for anonymous readers. */
export function actionForm(ctx: PageContext, action: string, label: string, opts: { danger?: boolean; fields?: HtmlValue; describedBy?: string } = {}): Html {
  if (!ctx.csrf) return html``;
  return html`<form class="inline" method="post" action="${action}"><input type="hidden" name="_csrf" value="${ctx.csrf}">${opts.fields ?? ''}<button type="submit"${opts.danger ? html` class="danger"` : ''}>${label}</button></form>`;
}

/** A table in a scrollable, keyboard-reachable region (phones scroll wide tables sideways). */
export function tableWrap(label: string, table: Html): Html {
  // Named apart from the section around it: two landmarks with one name are one too many.
  return html`<div class="table-wrap" role="region" aria-label="${label} (table)" tabindex="0">${table}</div>`;
}

export function empty(...lines: HtmlValue[]): Html {
  return html`<div class="empty">${lines.map((l) => html`<p>${l}</p>`)}</div>`;
}
