// The sign-in page and the pages that explain why something did not work.
import type { Access } from '../../access/index.ts';
import { html } from '../html.ts';
import type { Page, PageContext } from '../layout.ts';

export function signInPage(ctx: PageContext, access: Access, returnTo: string): Page {
  const { config } = access;
  if (config.auth === 'github') {
    const who = [...config.github.orgs, ...config.github.teams].join(', ');
    return {
      title: 'Sign in',
      active: null,
      notice: access.githubProblem ? { kind: 'error', text: access.githubProblem } : null,
      body: access.githubProblem
        ? html`<p>Until then the dashboard is read-only${config.anonymousRead.length ? html` for <code>${config.anonymousRead.join(', ')}</code>` : ''}.</p>`
        : html`<p>Members of ${who} sign in with their GitHub account.
            ${config.anonymousRead.length ? html`Reading needs no sign-in from <code>${config.anonymousRead.join(', ')}</code>; acting on runs does.` : 'Reading and acting on runs both need it.'}</p>
          <p><a class="button" href="/auth/github?returnTo=${encodeURIComponent(returnTo)}">Sign in with GitHub</a></p>`,
    };
  }
  return {
    title: 'Sign in',
    active: null,
    body:
      config.auth === 'proxy'
        ? html`<p>This dashboard signs people in through a reverse proxy. Open it at the proxy's address; the proxy names you to stagebot.</p>`
        : html`<p>Sign-in is off (<code>dashboard.auth: none</code>): the dashboard is read-only, and actions are taken from chat or the CLI.</p>`,
  };
}

export function problemPage(_ctx: PageContext, status: number, message: string, signIn?: string, back?: { href: string; label: string }): Page {
  const titles: Record<number, string> = { 400: 'That did not work', 401: 'Sign in first', 403: 'Not allowed', 404: 'Not found', 409: 'Not now', 503: 'Busy' };
  return {
    title: titles[status] ?? 'Something went wrong',
    active: null,
    notice: { kind: 'error', text: message },
    body: html`${signIn ? html`<p><a href="${signIn}">Sign in</a></p>` : ''}${back ? html`<p><a href="${back.href}">${back.label}</a></p>` : ''}<p><a href="/">Back to the environments</a></p>`,
  };
}
