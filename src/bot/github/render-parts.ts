// Pieces both GitHub renderings of a run share: icons, the step list, per-browser lines, the cost.
import { formatUsd } from '../../cost/estimate.ts';
import { formatDuration } from '../../domain/duration.ts';
import type { BrowserOutcome, RunCost, StepTiming } from '../../commands/events.ts';
import type { CheckRunStatus } from './github-api.ts';
import { code, escapeMarkdown, link } from './markdown.ts';
import { person } from './render-replies.ts';
import type { GithubRunView } from './run-view.ts';

export const STEP_ICON: Record<StepTiming['state'], string> = {
  succeeded: '✅',
  failed: '❌',
  running: '⏳',
  pending: '⬜',
  skipped: '⏭️',
  interrupted: '⚠️',
  cancelled: '🚫',
};

export const BROWSER_ICON: Record<BrowserOutcome['outcome'], string> = {
  passed: '✅',
  failed: '❌',
  'timed-out': '⏱️',
  cancelled: '🚫',
  error: '⚠️',
};

/** Where the run goes: its environment, or the pool it waits for. */
export function envLabel(view: GithubRunView): string {
  return view.run.env ?? view.pool.join('|');
}

export function checkRunName(view: GithubRunView): string {
  return `stagebot e2e (${envLabel(view)})`;
}

/** A kept run's tests are over: it passed when every browser did. */
export function testsPassed(browsers: readonly BrowserOutcome[]): boolean {
  return browsers.length > 0 && browsers.every((b) => b.outcome === 'passed');
}

export function checkRunStatus(view: GithubRunView): CheckRunStatus {
  switch (view.run.state) {
    case 'queued':
      return { status: 'queued' };
    case 'running':
    case 'tearing_down':
      return { status: 'in_progress' };
    case 'kept':
      return { status: 'completed', conclusion: testsPassed(view.browsers) ? 'success' : 'failure' };
    case 'succeeded':
      return { status: 'completed', conclusion: 'success' };
    case 'failed':
      return { status: 'completed', conclusion: 'failure' };
    case 'cancelled':
      return { status: 'completed', conclusion: 'cancelled' };
  }
}

export function currentStep(view: GithubRunView): string | null {
  return view.timings.find((t) => t.state === 'running')?.step ?? null;
}

export function duration(ms: number | null): string {
  return ms === null ? '' : formatDuration(ms);
}

/** Wall time of the run so far (or in total, once finished). */
export function runDuration(view: GithubRunView): number | null {
  const { startedAt, finishedAt } = view.run;
  if (!startedAt) return null;
  return (finishedAt ?? view.now).getTime() - startedAt.getTime();
}

export function costLine(cost: RunCost): string {
  const unknown = cost.unknown.length > 0 ? ` (not priced: ${cost.unknown.map((u) => escapeMarkdown(u)).join(', ')})` : '';
  return `${formatUsd(cost.usd)}${unknown}`;
}

/** `12 passed, 1 failed, 2 flaky`, leaving out the zeros but the passed count. */
export function counts(b: BrowserOutcome): string {
  const parts = [`${b.passed} passed`];
  if (b.failed > 0) parts.push(`${b.failed} failed`);
  if (b.flaky > 0) parts.push(`${b.flaky} flaky`);
  if (b.skipped > 0) parts.push(`${b.skipped} skipped`);
  return parts.join(', ');
}

export function reportLink(b: BrowserOutcome): string {
  return b.reportUrl ? link('report', b.reportUrl) : '';
}

export function stepInline(t: StepTiming): string {
  const time = t.durationMs !== null && t.state !== 'pending' ? ` ${duration(t.durationMs)}` : '';
  return `${STEP_ICON[t.state]} ${code(t.step)}${time}`;
}

/** Run id, environment, ref and who asked, on one line. */
export function headline(view: GithubRunView): string {
  const { run } = view;
  const ref = run.options.ref ? ` · ref ${code(run.options.ref.length === 40 ? run.options.ref.slice(0, 12) : run.options.ref)}` : '';
  const browsers = run.options.browsers.map((b) => escapeMarkdown(b)).join(', ');
  return `Run ${code(run.id)} · **${escapeMarkdown(envLabel(view))}** · ${browsers}${ref} · requested by ${escapeMarkdown(run.requester)}`;
}

/** `⏰ Dead man's switch armed: …` while the run is up and its host's switch is set; null otherwise. */
export function switchLine(view: Pick<GithubRunView, 'run' | 'deadManSwitch'>): string | null {
  if (!view.deadManSwitch || (view.run.state !== 'running' && view.run.state !== 'kept')) return null;
  return `⏰ Dead man's switch armed: the host powers itself off at ${view.deadManSwitch.firesAt} unless stagebot moves it`;
}

/** `by @octocat (the pull request was closed)` of a cancelled run; null when the run was not cancelled or the store does not say. */
export function cancelledBy(view: Pick<GithubRunView, 'cancelled'>): string | null {
  const c = view.cancelled;
  return c ? `by ${person(c.by)}${c.reason ? ` (${escapeMarkdown(c.reason)})` : ''}` : null;
}

/** `2026-11-21 10:00 UTC`: GitHub renders no local times, so UTC, said as such. */
export function utc(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * Why a queued run waits: `**stg1** is locked by @alice since … (db migration)` or `**stg1** is in use
 * by run `…` since …`, one per held environment; null when nobody holds one (it waits its turn).
 */
export function waitingText(view: Pick<GithubRunView, 'waitingFor'>): string | null {
  if (view.waitingFor.length === 0) return null;
  return view.waitingFor
    .map((l) =>
      l.holderKind === 'run'
        ? `**${escapeMarkdown(l.env)}** is in use by run ${code(l.holder)} since ${utc(l.since)}`
        : `**${escapeMarkdown(l.env)}** is locked by ${person(l.holder)} since ${utc(l.since)}${l.reason ? ` (${escapeMarkdown(l.reason)})` : ''}`,
    )
    .join('; ');
}
