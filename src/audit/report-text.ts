// The sweep report as plain text, for the CLI and the log. Slack and the web render the same data their own way.

import bytes from 'bytes';
import { formatUsd } from '../cost/estimate.ts';
import { span } from './rules.ts';
import type { OrphanEntry, SweepReport } from './types.ts';
import { ASSET_KINDS, type AssetKind } from '../domain/asset.ts';
import { descriptorOf } from '../aws/kinds/index.ts';

/** A person's words for several of a kind (`SG rules`); a kind the registry does not know keeps its name. */
function plural(kind: string): string {
  return (ASSET_KINDS as readonly string[]).includes(kind) ? descriptorOf(kind as AssetKind).plural : kind;
}

function utc(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The id a person recognises (a target's carries its group's ARN; its group's name is shorter). */
function shortId(o: { kind: AssetKind; id: string }): string {
  return descriptorOf(o.kind).shortId?.(o.id) ?? o.id;
}

function markText(o: OrphanEntry, now: Date): string {
  if (!o.reapAfter) return 'not marked';
  if (o.due) return 'due for reaping';
  return `reap after ${utc(o.reapAfter)} (in ${span(o.reapAfter.getTime() - now.getTime())})`;
}

export function renderSweepText(r: SweepReport): string {
  const lines: string[] = [];
  const mode = r.mode === 'dry-run' ? 'dry run' : r.confirmed ? 'reap, confirmed' : 'reap';
  lines.push(`Sweep #${r.sweepId} (${mode}) at ${utc(r.startedAt)}: ${r.regions.length} region${r.regions.length === 1 ? '' : 's'} (${r.regions.join(', ')}), ${r.awsCalls} AWS calls`);
  if (r.orphans.length === 0) {
    lines.push('No orphans.');
  } else {
    const kinds = Object.entries(r.totalsByKind).map(([k, t]) => `${t.count} ${plural(k)}`).join(', ');
    lines.push(`${r.orphans.length} orphan${r.orphans.length === 1 ? '' : 's'} (${kinds}): ${formatUsd(r.dailyCostUsd)}/day, ${formatUsd(r.accruedCostUsd)} so far`);
    for (const o of r.orphans) {
      lines.push(`  ${o.kind} ${shortId(o)} [${o.region}${o.env ? `, ${o.env}` : ''}] ${formatUsd(o.dailyUsd)}/day, ${formatUsd(o.accruedUsd)} so far; ${markText(o, r.startedAt)}`);
      lines.push(`    ${o.reason}`);
    }
  }
  if (r.marked > 0 || r.unmarked > 0) lines.push(`Marked ${r.marked} new orphan${r.marked === 1 ? '' : 's'}; took the mark back from ${r.unmarked} asset${r.unmarked === 1 ? '' : 's'} that are no longer orphans.`);
  if (r.needsConfirmation) {
    lines.push(`Nothing was reaped: ${r.dueCount} orphans are due, more than the limit of ${r.limit} per sweep. A person must confirm (Reap now).`);
  } else if (r.mode === 'dry-run' && r.dueCount > 0) {
    lines.push(`${r.dueCount} orphan${r.dueCount === 1 ? ' is' : 's are'} past the grace period; a reap sweep would delete ${r.dueCount === 1 ? 'it' : 'them'}.`);
  }
  if (r.reaped.length > 0) {
    const cost = r.reaped.reduce((n, x) => n + x.costUsd, 0);
    lines.push(`Reaped ${r.reaped.length} (they had cost ${formatUsd(cost)} while orphaned):`);
    for (const x of r.reaped) lines.push(`  ${x.kind} ${shortId(x)} [${x.region}]${x.with.length ? ` with ${x.with.join(', ')}` : ''}`);
  }
  for (const s of r.skipped) lines.push(`Left ${s.kind} ${shortId(s)} [${s.region}]: ${s.reason}`);
  if (r.reapedSinceLastReport.length > 0) {
    const cost = r.reapedSinceLastReport.reduce((n, x) => n + x.costUsd, 0);
    lines.push(`Reaped since the last report: ${r.reapedSinceLastReport.length} (${formatUsd(cost)}).`);
  }
  if (r.prunedArtifacts && r.prunedArtifacts.runs > 0) {
    lines.push(`Test artifacts past retention deleted: ${r.prunedArtifacts.runs} run${r.prunedArtifacts.runs === 1 ? '' : 's'} (${bytes.format(r.prunedArtifacts.bytes)}).`);
  }
  for (const d of r.drift) lines.push(`Drift: ${d.env}: ${d.problem}`);
  for (const u of r.unpriced) lines.push(`Unpriced: ${u}`);
  for (const e of r.errors) lines.push(`Error: ${e}`);
  return lines.join('\n');
}
