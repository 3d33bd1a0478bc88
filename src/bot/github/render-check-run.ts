// The check run `stagebot e2e (<env>)` on the PR's head SHA: the steps while the run goes, then
// per-browser results, failing tests, the timing table, the cost and the reports.
import { formatUsd } from '../../cost/estimate.ts';
import type { CheckRunFields } from './github-api.ts';
import { boundedList, code, escapeMarkdown, fitToLimit, table } from './markdown.ts';
import {
  BROWSER_ICON,
  STEP_ICON,
  cancelledBy,
  checkRunName,
  checkRunStatus,
  costLine,
  counts,
  currentStep,
  duration,
  envLabel,
  headline,
  reportLink,
  runDuration,
  switchLine,
  testsPassed,
  waitingText,
} from './render-parts.ts';
import { person } from './render-replies.ts';
import { failuresSection } from './render-failures.ts';
import type { GithubRunView } from './run-view.ts';
import { estimateText, queueText, usualText } from '../../commands/estimate-text.ts';

/** Failing test titles shown per browser; the report has the rest. */
const MAX_FAILING = 25;
const MAX_COST_LINES = 20;

function title(view: GithubRunView): string {
  const { run, browsers } = view;
  const failing = browsers.filter((b) => b.outcome !== 'passed').map((b) => b.browser);
  switch (run.state) {
    case 'queued':
      return view.queuePosition ? `Queued — position ${view.queuePosition}` : 'Queued';
    case 'running': {
      if (run.cancelRequestedBy) return 'Cancelling';
      const step = currentStep(view);
      return step ? `Running: ${step}` : 'Starting';
    }
    case 'tearing_down':
      return 'Tearing down';
    case 'kept': {
      const until = run.expiresAt ? ` until ${run.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : '';
      return `${testsPassed(browsers) ? 'Tests passed' : `Tests failed on ${failing.join(', ') || 'no browser'}`} — ${envLabel(view)} kept${until}`;
    }
    case 'succeeded':
      return `Passed on ${browsers.map((b) => b.browser).join(', ') || envLabel(view)}`;
    case 'failed': {
      if (failing.length > 0) return `Tests failed on ${failing.join(', ')}`;
      const step = view.stepErrors[0]?.step;
      return step ? `Failed at ${step}` : 'Failed';
    }
    case 'cancelled':
      return view.cancelled ? `Cancelled by ${view.cancelled.by.replace(/^github:/, '@')}` : 'Cancelled';
  }
}

function stepsTable(view: GithubRunView): string {
  const history = view.timings.some((t) => t.usualMs !== undefined && t.usualMs !== null);
  return table(
    history ? ['Step', 'State', 'Time', 'Usual'] : ['Step', 'State', 'Time'],
    view.timings.map((t) => {
      const row = [code(t.step, { inTable: true }), `${STEP_ICON[t.state]} ${t.state}`, duration(t.durationMs)];
      if (!history) return row;
      // A step over twice its recent p50 is flagged: that is where a slow run lost its time.
      return [...row, t.usualMs === undefined || t.usualMs === null ? '' : `${t.slow ? '⚠️ ' : ''}${escapeMarkdown(usualText(t))}`];
    }),
  );
}

function testsSection(view: GithubRunView): string[] {
  if (view.browsers.length === 0) return [];
  const rows = view.browsers.map((b) => [
    escapeMarkdown(b.browser),
    `${BROWSER_ICON[b.outcome]} ${b.outcome}`,
    String(b.passed),
    String(b.failed),
    String(b.flaky),
    duration(b.durationMs),
    reportLink(b),
  ]);
  const out = ['### Tests', table(['Browser', 'Result', 'Passed', 'Failed', 'Flaky', 'Time', 'Report'], rows)];
  // With kept artifacts, each failure comes with its location, error and links; without, the titles.
  const detailed = new Set((view.artifacts ?? []).filter((a) => a.failures.length > 0).map((a) => a.browser));
  out.push(...failuresSection(view, MAX_FAILING));
  for (const b of view.browsers) {
    if (b.failingTests.length > 0 && !detailed.has(b.browser)) {
      out.push(`**Failing on ${escapeMarkdown(b.browser)}** (${counts(b)})`, boundedList(b.failingTests.map((t) => code(t)), MAX_FAILING).join('\n'));
    }
    if (b.detail && b.outcome !== 'passed') out.push(`${escapeMarkdown(b.browser)}: ${escapeMarkdown(b.detail)}`);
  }
  return out;
}

function errorSection(view: GithubRunView): string[] {
  const lines = view.stepErrors.map((e) => `- ${code(e.step)}: ${escapeMarkdown(e.error)}`);
  // A cancel is not something that went wrong: the run says who stopped it, and why.
  const cancelled = view.run.state === 'cancelled';
  if (lines.length === 0 && view.run.error && !cancelled) lines.push(`- ${escapeMarkdown(view.run.error)}`);
  return lines.length > 0 ? ['### What went wrong', lines.join('\n')] : [];
}

function cancelSection(view: GithubRunView): string[] {
  if (view.run.state !== 'cancelled') return [];
  const by = cancelledBy(view);
  return [`🚫 **Cancelled**${by ? ` ${by}` : view.run.error ? ` (${escapeMarkdown(view.run.error)})` : ''}.`];
}

function costSection(view: GithubRunView): string[] {
  const expected = view.estimate && view.estimate.expectedUsd !== null ? ` (expected ≈ ${formatUsd(view.estimate.expectedUsd)})` : '';
  const out = ['### Cost', `**${costLine(view.cost)}** in total${expected}`];
  if (view.cost.lines.length > 0) {
    const rows = view.cost.lines.slice(0, MAX_COST_LINES).map((l) => [escapeMarkdown(l.what), l.hours.toFixed(2), formatUsd(l.usd)]);
    out.push(table(['What', 'Hours', 'USD'], rows));
    if (view.cost.lines.length > MAX_COST_LINES) out.push(`_… and ${view.cost.lines.length - MAX_COST_LINES} more_`);
  }
  return out;
}

function summary(view: GithubRunView): string {
  const { run } = view;
  const status = checkRunStatus(view);
  const parts = [headline(view)];
  if (run.state === 'queued') {
    const why = waitingText(view);
    const place = view.queuePosition ? `: position ${view.queuePosition} in the queue` : '';
    parts.push(`Waiting for a free environment (${escapeMarkdown(envLabel(view))})${place}.${why ? ` ${why}.` : ''}`);
    if (view.queuePosition && view.queueEtaMs !== undefined && view.waitingFor.every((l) => l.holderKind !== 'person')) parts.push(escapeMarkdown(queueText(view.queuePosition, view.queueEtaMs)));
  }
  if (view.estimate && (run.state === 'queued' || run.state === 'running')) parts.push(`Expected cost: ${escapeMarkdown(estimateText(view.estimate))}.`);
  if (run.cancelRequestedBy && status.status !== 'completed') {
    parts.push(`Cancel requested by ${person(run.cancelRequestedBy)}${run.cancelReason ? ` (${escapeMarkdown(run.cancelReason)})` : ''}; teardown follows.`);
  }
  parts.push(...cancelSection(view));
  if (run.state === 'kept' && run.expiresAt) {
    parts.push(`The environment stays up until ${run.expiresAt.toISOString()}; \`/e2e cancel\` tears it down sooner.`);
  }
  const armed = switchLine(view);
  if (armed) parts.push(armed);
  parts.push(...testsSection(view), ...errorSection(view));
  const total = runDuration(view);
  parts.push('### Timing', stepsTable(view));
  if (total !== null) parts.push(`**Total:** ${duration(total)}`);
  if (run.state !== 'queued') parts.push(...costSection(view));
  return fitToLimit(parts.join('\n\n'));
}

export function renderCheckRun(view: GithubRunView): CheckRunFields {
  return { name: checkRunName(view), state: checkRunStatus(view), output: { title: title(view), summary: summary(view) }, detailsUrl: view.links?.runPage ?? null };
}
