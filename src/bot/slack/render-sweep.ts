// The daily sweep report as posted to `sweeper.reportChannel`: the headline numbers, the costliest
// orphans with why they are orphans, the sweeper's full text report below, and a "Reap now" button
// while something is past its grace period.
import type { types } from '@slack/bolt';
import { incompleteLines, renderSweepText, type SweepReport } from '../../commands/reports.ts';
import { ACTIONS } from './actions-ids.ts';
import { code, codeBlock, esc, fit, usd, when } from './mrkdwn.ts';
import type { Block, SlackMessage } from './slack-api.ts';

const MAX_LISTED = 15;

const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: fit(text) } });
const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text, emoji: true });

/** The orphans a "Reap now" would delete: those past their grace period that this sweep left standing. */
export function dueOrphans(r: SweepReport): { count: number; dailyUsd: number; unpriced: number } {
  const due = r.orphans.filter((o) => o.due);
  return {
    count: due.length,
    dailyUsd: due.reduce((sum, o) => sum + (o.dailyUsd ?? 0), 0),
    unpriced: due.filter((o) => o.dailyUsd === null).length,
  };
}

/**
 * The "Reap now" button with Slack's own confirmation dialog, naming what it deletes and what that
 * costs a day. Its value is the sweep id: the click claims "reap now for this report" once.
 */
export function reapNowActions(r: SweepReport): types.ActionsBlock | null {
  const due = dueOrphans(r);
  if (due.count === 0) return null;
  const assets = `${due.count} orphaned asset${due.count === 1 ? '' : 's'}`;
  const cost = `${usd(due.dailyUsd)} a day${due.unpriced ? ` (${due.unpriced} not priced)` : ''}`;
  const overLimit = due.count > r.limit ? ` That is more than the per-sweep limit of ${r.limit}: this confirms all of them.` : '';
  return {
    type: 'actions',
    block_id: `sweep:${r.sweepId}`,
    elements: [
      {
        type: 'button',
        action_id: ACTIONS.reapNow,
        text: plain(`Reap now (${due.count})`),
        value: String(r.sweepId),
        style: 'danger',
        confirm: {
          title: plain('Reap now?'),
          text: plain(`Delete the ${assets} past their grace period, costing ${cost}? Each is checked again just before it is deleted.${overLimit}`),
          confirm: plain(`Reap ${due.count}`),
          deny: plain('Not now'),
          style: 'danger',
        },
      },
    ],
  };
}

export function renderSweepReport(r: SweepReport, prefix: string): SlackMessage {
  const n = r.orphans.length;
  // An incomplete sweep says first what it could not see, and is never "no orphaned assets".
  const head = !r.complete
    ? `:warning: *Daily sweep INCOMPLETE* (${when(r.startedAt)}): ${n === 0 ? 'no orphans in what could be listed, which is not a clean bill' : `*${n} orphaned asset${n === 1 ? '' : 's'}* in what could be listed, ${usd(r.dailyCostUsd)} a day`}`
    : n === 0
      ? `:sparkles: *Daily sweep* (${when(r.startedAt)}): no orphaned assets`
      : `:broom: *Daily sweep* (${when(r.startedAt)}): *${n} orphaned asset${n === 1 ? '' : 's'}*, ${usd(r.dailyCostUsd)} a day (${usd(r.accruedCostUsd)} so far)`;
  const lines = [...incompleteLines(r).map((l) => `:warning: ${esc(l)}`), head];
  if (r.reaped.length) lines.push(`reaped ${r.reaped.length}, which had cost ${usd(r.reaped.reduce((s, x) => s + x.costUsd, 0))}`);
  if (r.needsConfirmation) {
    lines.push(
      `:warning: ${r.dueCount} were due, more than the limit of ${r.limit}: nothing was reaped. An admin confirms with *Reap now* below (or ${code(`${prefix} sweep --reap --confirm`)}).`,
    );
  }
  if (r.errors.length) lines.push(`:warning: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}: ${esc(r.errors.slice(0, 3).join('; '))}`);

  const costly = [...r.orphans].sort((a, b) => (b.dailyUsd ?? -1) - (a.dailyUsd ?? -1)).slice(0, MAX_LISTED);
  const listed = costly.map((o) => `• ${o.kind} ${code(o.id)} (${esc(o.region)}) — ${esc(o.reason)} — ${o.dailyUsd === null ? 'price unknown' : `${usd(o.dailyUsd)}/day`}${o.due ? ' — *due*' : ''}`);
  if (n > costly.length) listed.push(`… and ${n - costly.length} more`);

  const blocks: Block[] = [section(lines.join('\n'))];
  if (listed.length) blocks.push(section(listed.join('\n')));
  blocks.push(section(codeBlock(renderSweepText(r, prefix))));
  const actions = reapNowActions(r);
  if (actions) blocks.push(actions);
  const text = r.complete ? `Daily sweep: ${n} orphaned assets, ${usd(r.dailyCostUsd)} a day` : `Daily sweep INCOMPLETE: ${incompleteLines(r)[0] ?? 'some regions could not be listed'}`;
  return { text, blocks };
}
