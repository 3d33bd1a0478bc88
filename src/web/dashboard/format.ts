// How the dashboard writes times, ages, durations, money and people.
import { formatUsd } from '../../cost/estimate.ts';
import { formatDuration } from '../../domain/duration.ts';
import { html, type Html } from './html.ts';

export { formatUsd, formatDuration };

/** A time as a <time> element: UTC text (the same on every replica), the exact instant in datetime. */
export function when(at: Date | string | null | undefined): Html {
  if (!at) return html`<span class="muted">—</span>`;
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) return html`<span class="muted">—</span>`;
  const iso = d.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/** `3m ago`, `in 2h`. */
export function relative(at: Date | null | undefined, now: Date): string {
  if (!at) return '—';
  const ms = at.getTime() - now.getTime();
  if (Math.abs(ms) < 1_000) return 'now';
  return ms < 0 ? `${formatDuration(-ms)} ago` : `in ${formatDuration(ms)}`;
}

export function durationOr(ms: number | null | undefined, none = '—'): string {
  return ms === null || ms === undefined ? none : formatDuration(ms);
}

/** A run's or step's state as a badge with a word (never colour alone). */
export function stateBadge(state: string): Html {
  return html`<span class="badge state-${state.replace(/[^a-z_-]/g, '')}">${state.replace('_', ' ')}</span>`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
