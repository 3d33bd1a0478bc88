// The one stagebot comment per run on the PR, edited in place as the run goes: short, with the
// check run holding the details.
import { escapeMarkdown, fitToLimit, link } from './markdown.ts';
import { BROWSER_ICON, cancelledBy, costLine, counts, currentStep, duration, envLabel, headline, reportLink, runDuration, stepInline, switchLine, testsPassed, waitingText } from './render-parts.ts';
import { person } from './render-replies.ts';
import { failuresBrief } from './render-failures.ts';
import type { GithubRunView } from './run-view.ts';
import { estimateText, queueText } from '../../commands/estimate-text.ts';
import { formatUsd } from '../../cost/estimate.ts';

/** The comment stays short: the check run lists every failure. */
const MAX_FAILURES_IN_COMMENT = 5;

/** Marks stagebot's own comments, so that a human can tell and a later tool can find them. */
export function commentMarker(runId: string): string {
  return `<!-- stagebot:run:${runId} -->`;
}

function status(view: GithubRunView): string {
  const { run } = view;
  const env = `**${escapeMarkdown(envLabel(view))}**`;
  switch (run.state) {
    case 'queued': {
      const why = waitingText(view);
      const place = view.queuePosition ? `position ${view.queuePosition}, ` : '';
      return why ? `⏸️ Queued — ${place}waiting for ${env}: ${why}` : `⏸️ Queued — ${place}waiting for a free environment (${env})`;
    }
    case 'running': {
      if (run.cancelRequestedBy) return `🛑 Cancelling (asked by ${person(run.cancelRequestedBy)}${run.cancelReason ? `: ${escapeMarkdown(run.cancelReason)}` : ''}); teardown follows`;
      const step = currentStep(view);
      return `🚀 Running on ${env}${step ? ` — now: ${escapeMarkdown(step)}` : ''}`;
    }
    case 'tearing_down':
      return `🧹 Tearing down ${env}`;
    case 'kept':
      return `${testsPassed(view.browsers) ? '✅ Tests passed' : '❌ Tests failed'} — ${env} kept until ${run.expiresAt?.toISOString() ?? 'its --keep time runs out'}`;
    case 'succeeded':
      return '✅ Passed';
    case 'failed':
      return `❌ Failed${view.stepErrors[0] ? ` at ${escapeMarkdown(view.stepErrors[0].step)}: ${escapeMarkdown(view.stepErrors[0].error)}` : run.error ? `: ${escapeMarkdown(run.error)}` : ''}`;
    case 'cancelled': {
      const by = cancelledBy(view);
      return by ? `🚫 Cancelled ${by}` : `🚫 Cancelled${run.error ? ` (${escapeMarkdown(run.error)})` : ''}`;
    }
  }
}

export function renderComment(view: GithubRunView): string {
  const { run } = view;
  const lines = [commentMarker(run.id), `**stagebot e2e** · ${headline(view)}`, '', status(view)];
  const armed = switchLine(view);
  if (armed) lines.push(armed);
  const finishedOrKept = run.state === 'succeeded' || run.state === 'failed' || run.state === 'cancelled' || run.state === 'kept';
  if (run.state === 'queued' && view.queuePosition && view.queueEtaMs !== undefined && view.waitingFor.every((l) => l.holderKind !== 'person')) lines.push(escapeMarkdown(queueText(view.queuePosition, view.queueEtaMs)));
  if (view.estimate && !finishedOrKept) lines.push(`💲 expected cost ${escapeMarkdown(estimateText(view.estimate))}`);
  if (run.state !== 'queued') lines.push('', view.timings.map(stepInline).join(' · '));
  if (view.browsers.length > 0) {
    lines.push('');
    for (const b of view.browsers) {
      const report = reportLink(b);
      lines.push(`- ${BROWSER_ICON[b.outcome]} ${escapeMarkdown(b.browser)}: ${counts(b)} (${duration(b.durationMs)})${report ? ` · ${report}` : ''}`);
    }
  }
  const failures = failuresBrief(view, MAX_FAILURES_IN_COMMENT);
  if (failures.length > 0) lines.push('', '**Failing tests**', ...failures);
  const finished = run.state === 'succeeded' || run.state === 'failed' || run.state === 'cancelled' || run.state === 'kept';
  if (finished && run.state !== 'cancelled') {
    const total = runDuration(view);
    const expected = view.estimate && view.estimate.expectedUsd !== null ? ` (expected ≈ ${formatUsd(view.estimate.expectedUsd)})` : '';
    lines.push('', `⏱️ ${total === null ? '—' : duration(total)} · 💲 ${costLine(view.cost)}${expected}`);
  }
  const footer = [view.checkRunUrl ? link('Details in the check run', view.checkRunUrl) : 'Details in the check run'];
  if (view.links?.runPage) footer.push(link('run page', view.links.runPage));
  if (!finished || run.state === 'kept') footer.push('`/e2e cancel` stops it');
  lines.push('', footer.join(' · '));
  return fitToLimit(lines.join('\n'));
}
