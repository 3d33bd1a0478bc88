// The thread answer to a "Reap now" click: what was reaped and what it had cost while orphaned, what
// the re-check before deleting left alone and why, and what is still standing.
import { incompleteLines, type SweepReport } from '../../commands/reports.ts';
import { code, esc, fit, usd, who } from './mrkdwn.ts';
import type { Block, SlackMessage } from './slack-api.ts';

const MAX_LISTED = 20;

const section = (text: string): Block => ({ type: 'section', text: { type: 'mrkdwn', text: fit(text) } });

function capped(lines: string[]): string[] {
  return lines.length > MAX_LISTED ? [...lines.slice(0, MAX_LISTED), `… and ${lines.length - MAX_LISTED} more`] : lines;
}

/** Posted in the report's thread when a click starts the reap (then replaced by the result). */
export function renderReapStarted(by: string): SlackMessage {
  const text = `:hourglass_flowing_sand: ${who(by)} pressed *Reap now*: checking each orphan past its grace period again, then deleting it…`;
  return { text, blocks: [section(text)] };
}

export function renderReapResult(r: SweepReport, by: string, prefix: string): SlackMessage {
  const cost = r.reaped.reduce((sum, x) => sum + x.costUsd, 0);
  const head =
    r.reaped.length > 0
      ? `:wastebasket: *Reap now* by ${who(by)}: reaped *${r.reaped.length}* asset${r.reaped.length === 1 ? '' : 's'}, which had cost ${usd(cost)} while orphaned`
      : `:information_source: *Reap now* by ${who(by)}: nothing was reaped${r.skipped.length === 0 && r.dueCount === 0 ? ' (no orphan is past its grace period any more)' : ''}`;
  const blocks: Block[] = [section(head)];
  if (r.reaped.length > 0) {
    const reaped = r.reaped.map(
      (x) => `• ${x.kind} ${code(x.id)} (${esc(x.region)}) — ${usd(x.costUsd)}${x.with.length ? `, with ${x.with.map(code).join(', ')}` : ''}`,
    );
    blocks.push(section(capped(reaped).join('\n')));
  }
  if (r.skipped.length > 0) {
    const skipped = r.skipped.map((s) => `• ${s.kind} ${code(s.id)} (${esc(s.region)}) — ${esc(s.reason)}`);
    blocks.push(section([`:warning: left ${r.skipped.length} alone:`, ...capped(skipped)].join('\n')));
  }
  const tail: string[] = incompleteLines(r).map((l) => `:warning: ${esc(l)}`);
  if (r.needsConfirmation) tail.push(`:warning: ${r.dueCount} were due, more than the limit of ${r.limit}: nothing was reaped.`);
  if (r.errors.length > 0) tail.push(`:warning: ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}: ${esc(r.errors.slice(0, 3).join('; '))}`);
  tail.push(
    r.orphans.length > 0
      ? `still orphaned: ${r.orphans.length}${r.complete ? '' : ' in what could be listed'}, ${usd(r.dailyCostUsd)} a day (${code(`${prefix} sweep`)} lists them)`
      : r.complete
        ? 'no orphaned assets are left'
        : 'no orphaned assets are left in what could be listed',
  );
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: fit(tail.join('\n'), 1_900) }] });
  const text = r.reaped.length > 0 ? `Reap now: reaped ${r.reaped.length} assets (${usd(cost)})` : 'Reap now: nothing was reaped';
  return { text, blocks };
}
