// The daily sweep report as posted to `sweeper.reportChannel`: the headline numbers, the costliest
// orphans with why they are orphans, and the sweeper's full text report below.
import { renderSweepText, type SweepReport } from '../../audit/index.ts';
import { formatUsd } from '../../cost/estimate.ts';
import { code, codeBlock, esc, fit, when } from './mrkdwn.ts';
import type { Block, SlackMessage } from './slack-api.ts';

const MAX_LISTED = 15;

const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: fit(text) } });

export function renderSweepReport(r: SweepReport, prefix: string): SlackMessage {
  const n = r.orphans.length;
  const head =
    n === 0
      ? `:sparkles: *Daily sweep* (${when(r.startedAt)}): no orphaned assets`
      : `:broom: *Daily sweep* (${when(r.startedAt)}): *${n} orphaned asset${n === 1 ? '' : 's'}*, ${formatUsd(r.dailyCostUsd)} a day (${formatUsd(r.accruedCostUsd)} so far)`;
  const lines = [head];
  if (r.reaped.length) lines.push(`reaped ${r.reaped.length}, which had cost ${formatUsd(r.reaped.reduce((s, x) => s + x.costUsd, 0))}`);
  if (r.needsConfirmation) {
    lines.push(`:warning: ${r.dueCount} were due, more than the limit of ${r.limit}: nothing was reaped. An admin confirms with ${code(`${prefix} sweep --reap`)}.`);
  }
  if (r.errors.length) lines.push(`:warning: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}: ${esc(r.errors.slice(0, 3).join('; '))}`);

  const costly = [...r.orphans].sort((a, b) => (b.dailyUsd ?? -1) - (a.dailyUsd ?? -1)).slice(0, MAX_LISTED);
  const listed = costly.map((o) => `• ${o.kind} ${code(o.id)} (${esc(o.region)}) — ${esc(o.reason)} — ${o.dailyUsd === null ? 'price unknown' : `${formatUsd(o.dailyUsd)}/day`}${o.due ? ' — *due*' : ''}`);
  if (n > costly.length) listed.push(`… and ${n - costly.length} more`);

  const blocks: Block[] = [section(lines.join('\n'))];
  if (listed.length) blocks.push(section(listed.join('\n')));
  blocks.push(section(codeBlock(renderSweepText(r))));
  return { text: `Daily sweep: ${n} orphaned assets, ${formatUsd(r.dailyCostUsd)} a day`, blocks };
}
