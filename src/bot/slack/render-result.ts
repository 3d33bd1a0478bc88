// Command results as Slack messages (the answer to `/stage status`, `list`, `assets`...). A launch
// is answered by its own parent message (render-parent.ts), not here.
import type { EnvLock } from '../../domain/lock.ts';
import { isFinished, type Run } from '../../domain/run.ts';
import type { CommandResult, EnvironmentsBoard, RunView } from '../../commands/executor.ts';
import { poolStandingLine, type PoolStanding } from '../../commands/pool-lines.ts';
import { lockText } from './render-lock.ts';
import { cancelLine } from './render-parent.ts';
import { browsersDetail } from './render-reply.ts';
import { code, codeBlock, esc, fit, usd, when, who } from './mrkdwn.ts';
import type { Block, SlackMessage } from './slack-api.ts';
import { formatDuration } from '../../domain/duration.ts';
import { viewQueueText } from '../../commands/estimate-text.ts';

export interface Reply extends SlackMessage {
  /** in_channel: everyone in the channel sees it (state changes); ephemeral: only the asker (queries). */
  visibility: 'ephemeral' | 'in_channel';
}

const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: fit(text) } });

function reply(visibility: Reply['visibility'], lines: string[]): Reply {
  const text = lines.join('\n');
  return { visibility, text: fit(text, 3_000), blocks: [section(text)] };
}

export function envLine(e: { env: string; run: Run | null; lock: EnvLock | null }): string {
  if (e.run) {
    return `*${esc(e.env)}* — ${e.run.state === 'kept' ? 'kept' : 'running'} run ${code(e.run.id)} by ${who(e.run.requester)} since ${when(e.run.startedAt ?? e.run.createdAt)}${e.run.state === 'kept' && e.run.expiresAt ? ` (until ${when(e.run.expiresAt)})` : ''}`;
  }
  if (e.lock) return `*${esc(e.env)}* — ${lockText(e.lock)}`;
  return `*${esc(e.env)}* — free`;
}

/** The queue, each run with where it stands (`notes`: `position 2 · starts in ~12 min`, plain text). */
export function queueLines(queue: readonly Run[], notes: Readonly<Record<string, string>> = {}): string[] {
  if (queue.length === 0) return ['queue: empty'];
  return [
    'queue:',
    ...queue.map((r, i) => `${i + 1}. ${code(r.id)} by ${who(r.requester)} for ${r.env ? esc(r.env) : `any of ${esc((r.options.pool ?? []).join(', '))}`} (since ${when(r.createdAt)})${notes[r.id] ? ` — ${esc(notes[r.id]!)}` : ''}`),
  ];
}

/** One line per warm pool: its standing cost and what a warm launch saves. */
export function poolLines(pools: readonly PoolStanding[]): string[] {
  return pools.map((p) => `:fire: ${esc(poolStandingLine(p))}`);
}

function environments(result: EnvironmentsBoard): string[] {
  return [...result.environments.map(envLine), '', ...queueLines(result.queue, result.queueNotes), ...(result.pools.length ? ['', ...poolLines(result.pools)] : [])];
}

function runView(v: RunView): string[] {
  const { run } = v;
  const live = v.assets.filter((a) => a.deletedAt === null).length;
  const steps = v.timings.map((t) => `${t.step} ${t.state}${t.durationMs !== null ? ` ${formatDuration(t.durationMs)}` : ''}`).join(' · ');
  return [
    run.state === 'cancelled'
      ? `run ${code(run.id)} on *${esc(run.env ?? '(queued)')}*: ${cancelLine(v.cancelled, run.error)}`
      : `run ${code(run.id)} on *${esc(run.env ?? '(queued)')}*: *${run.state}*${run.error ? ` — ${esc(run.error)}` : ''}`,
    ...(viewQueueText(v) ? [`:hourglass_flowing_sand: ${esc(viewQueueText(v)!)}`] : []),
    `requested by ${who(run.requester)} via ${run.source}; browsers ${esc(run.options.browsers.join(', '))}${run.state === 'kept' && run.expiresAt ? `; kept until ${when(run.expiresAt)}` : ''}`,
    steps,
    ...browsersDetail(v.browsers),
    `assets: ${v.assets.length} created, ${live} live; cost so far ${usd(v.cost.usd)}`,
  ];
}

export function renderResult(result: CommandResult, prefix: string): Reply {
  switch (result.kind) {
    case 'help':
      return reply('ephemeral', [codeBlock(result.text)]);
    case 'launched':
      return reply('ephemeral', [
        result.position === null ? `run ${code(result.run.id)} started on ${esc(result.run.env ?? '?')}` : `run ${code(result.run.id)} queued at position ${result.position}`,
      ]);
    case 'dry-run':
      return reply('ephemeral', [
        `${code(`${result.verb ?? 'launch'} --dry-run`)} on *${esc(result.env)}*: ${result.report.ok ? 'everything needed is allowed; nothing was created' : 'problems found; nothing was created'}`,
        ...result.report.checks.map((c) => `${c.info ? ':information_source:' : c.ok ? ':white_check_mark:' : ':x:'} ${esc(c.check)}: ${esc(c.detail)}`),
      ]);
    case 'run':
      return reply('ephemeral', runView(result.view));
    case 'environments':
      return reply('ephemeral', environments(result));
    case 'assets':
      if (result.assets.length === 0) return reply('ephemeral', [`run ${code(result.runId)} created no assets`]);
      return reply('ephemeral', [
        `assets of ${code(result.runId)}:`,
        ...result.assets.map((a) => `• ${a.kind} ${code(a.id)} in ${esc(a.region)} — ${a.deletedAt ? `deleted ${when(a.deletedAt)}` : '*live*'} — ${usd(a.costUsd)}`),
        `total ${usd(result.cost.usd)}${result.cost.unknown.length ? ` (not priced: ${esc(result.cost.unknown.join(', '))})` : ''}`,
      ]);
    case 'locked':
      return reply('in_channel', [`:lock: *${esc(result.lock.env)}* locked by ${who(result.lock.holder)}${result.lock.reason ? `: ${esc(result.lock.reason)}` : ''} (until ${code(`${prefix} unlock ${result.lock.env}`)})`]);
    case 'unlocked':
      return reply('in_channel', [`:unlock: *${esc(result.env)}* unlocked (was held by ${who(result.previous.holder)})`]);
    case 'sweep':
      // The text names the command; in Slack the daily report's button confirms too.
      return reply('ephemeral', [
        codeBlock(result.report.text),
        ...(result.report.data.needsConfirmation ? ['An admin can also press *Reap now* on the daily sweep report.'] : []),
      ]);
    case 'cost':
    case 'images':
      return reply('ephemeral', [codeBlock(result.report.text)]);
  }
}

/** The in-channel line for a verb that changed a run (cancel, teardown, extend). */
export function renderRunChange(verb: 'cancel' | 'teardown' | 'extend' | 'retest', view: RunView, by: string): Reply {
  const { run } = view;
  if (verb === 'retest') {
    return reply('in_channel', [`:repeat: run ${code(run.id)} on ${esc(run.env ?? '?')}: retesting on its kept environment, kept until ${run.expiresAt ? when(run.expiresAt) : '?'} (retest by ${who(by)}); the results follow in its thread`]);
  }
  const what =
    verb === 'extend'
      ? `kept until ${run.expiresAt ? when(run.expiresAt) : '?'}`
      : run.state === 'cancelled'
        ? 'cancelled'
        : verb === 'teardown' && !isFinished(run.state)
          ? 'tearing down'
          : run.state === 'tearing_down' || run.state === 'running'
            ? 'cancelling: tearing down'
            : run.state;
  return reply('in_channel', [`run ${code(run.id)} on ${esc(run.env ?? '(queued)')}: ${what} (${verb} by ${who(by)})`]);
}

/**
 * The second answer to `cancel` and `teardown`, once the run has ended: whether its environment is
 * gone. Null while the run is not over (its teardown goes on in another process; its thread says).
 */
export function renderTornDown(verb: 'cancel' | 'teardown', view: RunView, by: string): Reply | null {
  const { run, assets } = view;
  if (!isFinished(run.state)) return null;
  const live = assets.filter((a) => a.deletedAt === null);
  const head = `run ${code(run.id)} on ${esc(run.env ?? '(queued)')}`;
  const asked = `(${verb} by ${who(by)})`;
  if (assets.length === 0) return reply('in_channel', [`:broom: ${head} ended ${run.state}; it had created nothing, so there was nothing to tear down ${asked}`]);
  if (live.length === 0) return reply('in_channel', [`:broom: ${head} is torn down: all ${assets.length} assets deleted ${asked}`]);
  return reply('in_channel', [
    `:warning: ${head} ended ${run.state} but is NOT fully torn down; still there: ${live.map((a) => `${a.kind} ${code(a.id)}`).join(', ')} (the sweeper will find them by their tags) ${asked}`,
  ]);
}
