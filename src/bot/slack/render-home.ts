// The App Home tab: the environments, the queue, the last day's runs and what the last sweep found.
import type { OrphanSummary } from '../../commands/executor.ts';
import type { EnvLock } from '../../domain/lock.ts';
import type { Run } from '../../domain/run.ts';
import { code, esc, fit, usd, when, who } from './mrkdwn.ts';
import { envLine, poolLines, queueLines } from './render-result.ts';
import type { PoolStanding } from '../../commands/reports.ts';
import type { Block, HomeView } from './slack-api.ts';

export type { OrphanSummary };

export interface HomeData {
  environments: { env: string; run: Run | null; lock: EnvLock | null }[];
  queue: Run[];
  /** Per queued run: `position 2 · starts in ~12 min` (Board.queueNotes). */
  queueNotes?: Readonly<Record<string, string>>;
  /** The warm pools' standing cost and what a warm launch saves (Board.pools). */
  pools?: readonly PoolStanding[];
  /** Runs created in the last 24 hours, newest first. */
  recent: Run[];
  /** The last complete sweep's; null: no sweep has listed everything yet. */
  orphans: OrphanSummary | null;
  /** The latest sweep, when it could not list everything. */
  sweepIncomplete?: { at: Date; problems: string[] } | null;
  now: Date;
  prefix: string;
}

const MAX_RECENT = 25;

const STATE_EMOJI: Record<Run['state'], string> = {
  queued: ':double_vertical_bar:',
  running: ':arrows_counterclockwise:',
  tearing_down: ':broom:',
  kept: ':pushpin:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

const header = (text: string): Block => ({ type: 'header', text: { type: 'plain_text', text, emoji: true } });
const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: fit(text) } });

export function renderHome(data: HomeData): HomeView {
  const blocks: Block[] = [header('Environments'), section(data.environments.map(envLine).join('\n') || 'no environments configured')];
  blocks.push(section(queueLines(data.queue, data.queueNotes ?? {}).join('\n')));
  if (data.pools && data.pools.length > 0) blocks.push(section(poolLines(data.pools).join('\n')));

  blocks.push({ type: 'divider' }, header('Runs of the last 24 hours'));
  const recent = data.recent.slice(0, MAX_RECENT);
  const lines = recent.map(
    (r) => `${STATE_EMOJI[r.state]} ${code(r.id)} ${esc(r.env ?? '(pool)')} by ${who(r.requester)} — ${r.state} ${when(r.finishedAt ?? r.startedAt ?? r.createdAt)}`,
  );
  if (data.recent.length > recent.length) lines.push(`… and ${data.recent.length - recent.length} more (${code(`${data.prefix} list`)})`);
  blocks.push(section(lines.join('\n') || 'no runs in the last 24 hours'));

  blocks.push({ type: 'divider' }, header('Orphaned assets'));
  const o = data.orphans;
  const partial = data.sweepIncomplete;
  if (partial) {
    blocks.push(
      section(
        [`:warning: *The sweep of ${when(partial.at)} was incomplete*: ${o ? 'the figures below are from the last complete one' : 'no sweep has listed everything yet'}.`, ...partial.problems.slice(0, 5).map((p) => `• ${esc(p)}`)].join('\n'),
      ),
    );
  }
  blocks.push(
    section(
      o === null
        ? `no ${partial ? 'complete ' : ''}sweep has run yet; ${code(`${data.prefix} sweep`)} shows what would be reaped`
        : `${o.count === 0 ? ':sparkles: none' : `:warning: *${o.count}* orphaned asset${o.count === 1 ? '' : 's'}, costing ${usd(o.dailyUsd)} a day`} (sweep of ${when(o.at)}; ${code(`${data.prefix} sweep`)} for details)`,
    ),
  );
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `updated ${when(data.now)} · ${code(`${data.prefix} help`)} lists the commands` }] });
  return { type: 'home', blocks };
}
