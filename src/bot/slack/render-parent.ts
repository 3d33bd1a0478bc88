// The parent message of a run's thread: what runs where for whom, a checklist of the steps updated
// in place, and at the end the results, timings, cost and what was torn down. Pure: everything it
// shows comes in the view, so any replica renders the same message from the store.
import type { Asset } from '../../domain/asset.ts';
import type { EnvLock } from '../../domain/lock.ts';
import { formatDuration } from '../../domain/duration.ts';
import { isFinished, type Run, type RunState } from '../../domain/run.ts';
import { isRunProduct, runProductName } from '../../domain/image.ts';
import type { BrowserOutcome, DeadManSwitchView, RunCost, StepTiming } from '../../commands/events.ts';
import { estimateText, queueText, usualText } from '../../commands/estimate-text.ts';
import type { CostEstimate } from '../../cost/launch-estimate.ts';
import { ACTIONS } from './actions-ids.ts';
import { lockText } from './render-lock.ts';
import { code, esc, fit, usd, when, who } from './mrkdwn.ts';
import type { Block, SlackMessage } from './slack-api.ts';
import type { ThreadRecord } from './thread-record.ts';

export const KEEP_BUTTON_MS = 2 * 3_600_000;

export interface ParentView {
  run: Run;
  /** Every step of the pipeline in order, with its state (pending until it starts). */
  timings: StepTiming[];
  /** When each started step started, for "running for 1m12s". */
  startedAt: ReadonlyMap<string, Date>;
  browsers: BrowserOutcome[];
  cost: RunCost | null;
  assets: Asset[];
  /** When the host powers itself off unless stagebot moves it (while the run is up); null: not armed. */
  deadManSwitch: DeadManSwitchView | null;
  /** A cancelled run: who and why (RunView.cancelled). */
  cancelled: { by: string; reason: string | null } | null;
  queuePosition: number | null;
  /** While queued: ms until it should start (RunView.queueEtaMs; null: no telling). */
  queueEtaMs?: number | null | undefined;
  /** What the run was expected to cost when asked for (RunView.estimate). */
  estimate?: CostEstimate | null | undefined;
  /** While queued: who holds the environment(s) it waits for (RunView.waitingFor). */
  waitingFor: EnvLock[];
  thread: Pick<ThreadRecord, 'rerunOf' | 'rerunAs' | 'keptBy'>;
  now: Date;
  /** The slash command as installed, e.g. `/stage`. */
  prefix: string;
}

const STATE_LINE: Record<RunState, { emoji: string; word: string }> = {
  queued: { emoji: ':double_vertical_bar:', word: 'queued' },
  running: { emoji: ':arrows_counterclockwise:', word: 'running' },
  tearing_down: { emoji: ':broom:', word: 'tearing down' },
  kept: { emoji: ':pushpin:', word: 'kept' },
  succeeded: { emoji: ':white_check_mark:', word: 'succeeded' },
  failed: { emoji: ':x:', word: 'failed' },
  cancelled: { emoji: ':no_entry_sign:', word: 'cancelled' },
};

function stepLine(t: StepTiming, view: ParentView): string {
  const took = t.durationMs === null ? '' : formatDuration(t.durationMs);
  switch (t.state) {
    case 'succeeded': {
      // The tests step succeeds when the suite ran, whatever it found; a failed browser is what people look for.
      const failed = t.step === 'tests' ? failedBrowsers(view.browsers) : [];
      return failed.length ? `:x: ${t.step} — ${took} (${failed.map(esc).join(', ')} failed)` : `:white_check_mark: ${t.step} — ${took}`;
    }
    case 'failed':
      return `:x: ${t.step} — failed${took ? ` after ${took}` : ''}`;
    case 'skipped':
      return `:heavy_minus_sign: ${t.step} — skipped`;
    case 'interrupted':
      return `:warning: ${t.step} — interrupted${took ? ` after ${took}` : ''}`;
    case 'cancelled':
      return `:no_entry_sign: ${t.step} — cancelled${took ? ` after ${took}` : ''}`;
    case 'running': {
      const started = view.startedAt.get(t.step);
      const elapsed = started ? ` for ${formatDuration(Math.max(0, view.now.getTime() - started.getTime()))}` : '';
      return `:hourglass_flowing_sand: *${t.step}* — running${elapsed}`;
    }
    case 'pending':
      return `:white_circle: ${t.step}${isFinished(view.run.state) ? ' — not run' : ''}`;
  }
}

/** Browsers that did not pass: what "Rerun failed browsers" launches again. A cancelled browser did not fail. */
export function failedBrowsers(browsers: readonly BrowserOutcome[]): string[] {
  return browsers.filter((b) => b.outcome !== 'passed' && b.outcome !== 'cancelled').map((b) => b.browser);
}

/** `cancelled by @alice: the pull request was closed`, or the run's own error line when the store does not say who. */
export function cancelLine(cancelled: { by: string; reason: string | null } | null, error: string | null): string {
  if (!cancelled) return `:no_entry_sign: ${esc(error ?? 'cancelled')}`;
  return `:no_entry_sign: cancelled by ${who(cancelled.by)}${cancelled.reason ? `: ${esc(cancelled.reason)}` : ''}`;
}

export function browserLine(b: BrowserOutcome): string {
  const icon = b.outcome === 'passed' ? ':white_check_mark:' : b.outcome === 'cancelled' ? ':no_entry_sign:' : ':x:';
  const counts = [`${b.passed} passed`, b.failed ? `${b.failed} failed` : '', b.flaky ? `${b.flaky} flaky` : '', b.skipped ? `${b.skipped} skipped` : '']
    .filter((c) => c !== '')
    .join(', ');
  const outcome = b.outcome === 'passed' || b.outcome === 'failed' ? '' : ` (${b.outcome})`;
  const report = b.reportUrl && /^https?:\/\//.test(b.reportUrl) ? ` · <${esc(b.reportUrl).replaceAll('|', '%7C')}|report>` : '';
  return `${icon} *${esc(b.browser)}*${outcome}: ${counts} in ${formatDuration(b.durationMs)}${report}`;
}

function timingTable(timings: StepTiming[]): string {
  const width = Math.max(4, ...timings.map((t) => t.step.length));
  const rows = timings.map((t) => {
    const note = usualText(t);
    return `${t.step.padEnd(width)}  ${t.state.padEnd(9)}  ${t.durationMs === null ? '' : formatDuration(t.durationMs).padStart(7)}${note ? `  ${t.slow ? '⚠ ' : ''}${esc(note)}` : ''}`.trimEnd();
  });
  const total = timings.reduce((sum, t) => sum + (t.durationMs ?? 0), 0);
  return ['```', `${'step'.padEnd(width)}  ${'state'.padEnd(9)}  ${'time'.padStart(7)}`, ...rows, `${'(sum)'.padEnd(width + 11)}  ${formatDuration(total).padStart(7)}`, '```'].join('\n');
}

function teardownLine(view: ParentView): string {
  const { run, assets, prefix } = view;
  const live = assets.filter((a) => a.deletedAt === null);
  if (run.state === 'kept') {
    const until = run.expiresAt ? when(run.expiresAt) : 'its --keep time';
    const what = live.length ? live.map((a) => `${a.kind} ${code(a.id)}`).join(', ') : 'nothing recorded';
    return `:pushpin: kept until ${until}: ${what}. ${code(`${prefix} teardown ${run.id}`)} ends it now.`;
  }
  if (assets.length === 0) return ':broom: nothing was created';
  // A bake's candidate, a promotion's release: kept on purpose, not left behind.
  const kept = live.filter((a) => isRunProduct(run, a.kind));
  const left = live.filter((a) => !isRunProduct(run, a.kind));
  const keptLine = kept.length ? `:package: kept: ${kept.map((a) => `${a.kind} ${code(a.id)} (${esc(a.region)})`).join(', ')} — ${runProductName(run.kind)}\n` : '';
  if (left.length === 0) return `${keptLine}:broom: all ${assets.length - kept.length}${kept.length ? ' other' : ''} assets torn down`;
  return `${keptLine}:warning: NOT torn down: ${left.map((a) => `${a.kind} ${code(a.id)}`).join(', ')} (the sweeper will find them by their tags)`;
}

function costLine(cost: RunCost | null, estimate: CostEstimate | null | undefined): string {
  if (!cost) return '';
  const unknown = cost.unknown.length ? ` (not priced: ${esc(cost.unknown.join('; '))})` : '';
  return `:moneybag: cost of the run: ${usd(cost.usd)}${estimate && estimate.expectedUsd !== null ? ` (expected ≈ ${usd(estimate.expectedUsd)})` : ''}${unknown}`;
}

function button(text: string, actionId: string, value: string, style?: 'primary' | 'danger'): Record<string, unknown> {
  return { type: 'button', text: { type: 'plain_text', text, emoji: true }, action_id: actionId, value, ...(style ? { style } : {}) };
}

function buttons(view: ParentView): Block | null {
  const { run, thread } = view;
  const elements: Record<string, unknown>[] = [];
  const active = run.state === 'queued' || run.state === 'running';
  const failed = failedBrowsers(view.browsers);
  const testsFailed = view.timings.some((t) => t.step === 'tests' && t.state === 'failed');
  if (active) {
    elements.push({
      ...button('Cancel', ACTIONS.cancel, run.id, 'danger'),
      confirm: {
        title: { type: 'plain_text', text: 'Cancel this run?' },
        text: { type: 'mrkdwn', text: `Run ${code(run.id)} stops and its environment is torn down.` },
        confirm: { type: 'plain_text', text: 'Cancel the run' },
        deny: { type: 'plain_text', text: 'Keep going' },
      },
    });
    // Once a browser has failed, keeping the environment up for a look is the likely next wish.
    if (run.options.keepMs === undefined && (failed.length > 0 || testsFailed)) elements.push(button('Keep 2h', ACTIONS.keep, run.id));
  }
  if (run.state === 'kept') elements.push(button('Keep 2h more', ACTIONS.keep, run.id));
  // A cancelled run was stopped on purpose: nothing failed that a rerun would fix.
  if (run.state === 'failed' && !thread.rerunAs) {
    if (failed.length > 0) elements.push(button(`Rerun failed browsers (${failed.join(', ')})`.slice(0, 75), ACTIONS.rerun, run.id, 'primary'));
    else elements.push(button('Rerun', ACTIONS.rerun, run.id, 'primary'));
  }
  return elements.length ? ({ type: 'actions', block_id: `run:${run.id}`, elements } as unknown as Block) : null;
}

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: fit(text) } };
}

function context(text: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: fit(text) }] };
}

export function renderParent(view: ParentView): SlackMessage {
  const { run, thread } = view;
  const state = STATE_LINE[run.state];
  const env = run.env ?? `any of ${(run.options.pool ?? []).join(', ')}`;
  const title = `${state.emoji} *${esc(env)}* — ${state.word}${run.state === 'queued' && view.queuePosition !== null ? ` (position ${view.queuePosition} in the queue)` : ''}`;
  const facts = [
    `run ${code(run.id)}`,
    `requested by ${who(run.requester)}`,
    // A bake or promotion tests nothing: it says what it does instead.
    run.kind === 'promote' && run.options.promote
      ? `promotes ${esc(run.options.image ?? '?')} ${code(run.options.promote.source)} to *${esc(run.options.promote.to)}*`
      : run.kind === 'bake'
        ? `bakes ${esc(run.options.image ?? '?')}`
        : `browsers ${run.options.browsers.map(esc).join(', ')}`,
    run.options.ref ? `ref ${code(run.options.ref)}` : '',
  ].filter((f) => f !== '');
  const blocks: Block[] = [section(`${title}\n${facts.join(' · ')}`)];

  const notes: string[] = [];
  if (thread.rerunOf) notes.push(`rerun of ${code(thread.rerunOf)}`);
  if (run.options.keepMs !== undefined && (run.state === 'queued' || run.state === 'running')) {
    notes.push(`the environment stays up ${formatDuration(run.options.keepMs)} after the tests${thread.keptBy ? ` (asked by ${who(thread.keptBy)})` : ''}`);
  }
  if (thread.rerunAs) notes.push(`rerun started: ${code(thread.rerunAs)}`);
  if (view.estimate && !isFinished(run.state) && run.state !== 'kept') notes.push(`:moneybag: expected cost ${esc(estimateText(view.estimate))}`);
  if (run.state === 'queued' && view.queuePosition !== null && view.queueEtaMs !== undefined && view.waitingFor.every((l) => l.holderKind !== 'person')) {
    notes.push(esc(queueText(view.queuePosition, view.queueEtaMs)));
  }
  if (run.state === 'queued') {
    const env = run.env ? esc(run.env) : 'an environment of its pool';
    notes.push(
      view.waitingFor.length > 0
        ? `starts when ${env} is free: ${view.waitingFor.map((l) => `*${esc(l.env)}* is ${lockText(l)}`).join('; ')}`
        : `starts when ${env} is free`,
    );
  }
  if (view.deadManSwitch && (run.state === 'running' || run.state === 'kept')) {
    notes.push(`:alarm_clock: dead man's switch armed: the host powers itself off ${when(new Date(view.deadManSwitch.firesAt))} unless stagebot moves it`);
  }
  if (notes.length) blocks.push(context(notes.join(' · ')));

  if (run.state !== 'queued') {
    const started = view.timings.some((t) => t.state !== 'pending');
    if (started || !isFinished(run.state)) blocks.push(section(view.timings.map((t) => stepLine(t, view)).join('\n')));
  }

  const ended = isFinished(run.state) || run.state === 'kept';
  if (view.browsers.length) blocks.push(section(view.browsers.map(browserLine).join('\n')));
  if (ended) {
    if (run.state === 'cancelled') blocks.push(section(cancelLine(view.cancelled, run.error)));
    else if (run.error) blocks.push(section(`:warning: ${esc(run.error)}`));
    if (view.timings.some((t) => t.durationMs !== null)) blocks.push(section(timingTable(view.timings)));
    blocks.push(section([costLine(view.cost, view.estimate), teardownLine(view)].filter((l) => l !== '').join('\n')));
  }
  const actions = buttons(view);
  if (actions) blocks.push(actions);

  const text = `${env} run ${run.id}: ${state.word}${run.error && ended ? ` — ${run.error}` : ''}`;
  return { text: esc(text).slice(0, 3000), blocks };
}
