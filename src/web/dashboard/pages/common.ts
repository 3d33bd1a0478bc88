// Pieces more than one page shows: a run's link, who asked, a run's current step, the run actions.
import type { Run } from '../../../domain/run.ts';
import type { RunView } from '../../../commands/executor.ts';
import { isFinished } from '../../../domain/run.ts';
import { html, type Html } from '../html.ts';
import { actionForm, type PageContext } from '../layout.ts';

export function runLink(id: string): Html {
  return html`<a class="mono" href="/runs/${encodeURIComponent(id)}">${id}</a>`;
}

/** The step a run is at: the one running, else the last one that started. */
export function currentStep(view: RunView): string | null {
  const running = view.steps.filter((s) => s.state === 'running');
  if (running.length) return running.map((s) => s.name).join(', ');
  const started = view.steps.filter((s) => s.startedAt);
  return started.at(-1)?.name ?? null;
}

/** Cancel, extend, tear down: what may be asked of a run in its state (the executor decides who may). */
export function runActions(ctx: PageContext, run: Run): Html {
  if (!ctx.csrf || isFinished(run.state)) return html``;
  const base = `/runs/${encodeURIComponent(run.id)}`;
  const extend = html`<label class="visually-hidden" for="by-${run.id}">Extend ${run.id} by</label><select id="by-${run.id}" name="by"><option>30m</option><option selected>1h</option><option>2h</option><option>4h</option></select> `;
  return html`<div class="actions">
    ${run.state === 'kept' ? actionForm(ctx, `${base}/extend`, 'Extend', { fields: extend }) : ''}
    ${run.state === 'kept' ? actionForm(ctx, `${base}/teardown`, 'Tear down now', { danger: true }) : ''}
    ${run.state !== 'kept' && run.state !== 'tearing_down' ? actionForm(ctx, `${base}/cancel`, 'Cancel run', { danger: true }) : ''}
  </div>`;
}

/** Sign-in hint for anonymous readers where actions would be. */
export function signInToAct(ctx: PageContext): Html {
  if (ctx.csrf) return html``;
  if (ctx.auth === 'github') return html`<p class="muted"><a href="/signin?returnTo=${encodeURIComponent(ctx.path)}">Sign in</a> to cancel, extend or tear down.</p>`;
  if (ctx.auth === 'proxy') return html`<p class="muted">Open the dashboard through the sign-in proxy to act on runs.</p>`;
  return html`<p class="muted">Read-only: sign-in is off (<code>dashboard.auth: none</code>); act from chat or the CLI.</p>`;
}
