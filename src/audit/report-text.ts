// The sweep report as plain text, for the CLI and the log. Slack and the web render the same data their own way.

import bytes from 'bytes';
import { formatUsd } from '../cost/estimate.ts';
import { poolStandingLine } from './pool-standing.ts';
import { span } from './rules.ts';
import type { OrphanEntry, SweepReport, UnsweptEntry } from './types.ts';
import { ASSET_KINDS, type AssetKind } from '../domain/asset.ts';
import { descriptorOf } from '../aws/kinds/index.ts';
import { TAG } from '../aws/tags.ts';

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

/** `could not sweep us-east-1: …`, or `could not sweep ALB targets in eu-west-1: …`: one line. */
export function unsweptLine(u: UnsweptEntry): string {
  return `could not sweep ${u.kind ? `${plural(u.kind)} in ` : ''}${u.region}: ${u.reason}`;
}

/** The lines that must come first: what the sweep could not look at. Empty for a complete sweep. */
export function incompleteLines(r: Pick<SweepReport, 'complete' | 'unswept' | 'accountRefused'>): string[] {
  if (r.complete) return [];
  if (r.accountRefused) return [`refused: ${r.accountRefused}; nothing was listed, marked or reaped`];
  return r.unswept.map(unsweptLine);
}

/** `sweep --reap --confirm` as the reader's front writes it. */
function confirmCommand(prefix: string): string {
  return `\`${prefix ? `${prefix} ` : ''}sweep --reap --confirm\``;
}

/**
 * What kept the sweep from doing its whole job, one line each, worst first: what it could not see, a
 * reap the limit stopped (with how to confirm it in the reader's front), and what failed. Empty when
 * it did everything.
 */
export function sweepProblems(r: SweepReport, prefix: string): string[] {
  const limit = r.needsConfirmation
    ? [`nothing was reaped: ${r.dueCount} orphans are due, more than the limit of ${r.limit} per sweep; confirm with ${confirmCommand(prefix)}`]
    : [];
  return [...incompleteLines(r), ...limit, ...r.errors];
}

/**
 * The report as text. `prefix` is how the reader's front writes a command (`stagebot`, `/stage`): a
 * reap the per-sweep limit stopped says how to confirm it there.
 */
export function renderSweepText(r: SweepReport, prefix: string): string {
  const lines: string[] = [...incompleteLines(r)];
  const mode = r.mode === 'dry-run' ? 'dry run' : r.confirmed ? 'reap, confirmed' : 'reap';
  lines.push(`Sweep #${r.sweepId} (${mode}${r.complete ? '' : ', INCOMPLETE'}) at ${utc(r.startedAt)}: ${r.regions.length} region${r.regions.length === 1 ? '' : 's'} (${r.regions.join(', ')}), ${r.awsCalls} AWS calls`);
  const listedNothing = !r.complete && (r.accountRefused !== null || r.unswept.filter((u) => u.kind === null).length >= r.regions.length);
  if (listedNothing) {
    lines.push('Nothing could be listed, so nothing is known about orphans. `cost` and the metrics keep the last complete sweep\'s figures.');
  } else if (r.orphans.length === 0) {
    lines.push(r.complete ? 'No orphans.' : 'No orphans in what could be listed; that says nothing about what is named above.');
  } else {
    const kinds = Object.entries(r.totalsByKind).map(([k, t]) => `${t.count} ${plural(k)}`).join(', ');
    lines.push(`${r.orphans.length} orphan${r.orphans.length === 1 ? '' : 's'}${r.complete ? '' : ' in what could be listed'} (${kinds}): ${formatUsd(r.dailyCostUsd)}/day, ${formatUsd(r.accruedCostUsd)} so far`);
    for (const o of r.orphans) {
      lines.push(`  ${o.kind} ${shortId(o)} [${o.region}${o.env ? `, ${o.env}` : ''}] ${formatUsd(o.dailyUsd)}/day, ${formatUsd(o.accruedUsd)} so far; ${markText(o, r.startedAt)}`);
      lines.push(`    ${o.reason}`);
    }
  }
  if (!r.complete && !listedNothing) lines.push('Incomplete: `cost` and the metrics keep the last complete sweep\'s figures.');
  if (r.mode === 'reap' && (r.marked > 0 || r.unmarked > 0)) lines.push(`Marked ${r.marked} new orphan${r.marked === 1 ? '' : 's'}; took the mark back from ${r.unmarked} asset${r.unmarked === 1 ? '' : 's'} that are no longer orphans.`);
  if (r.needsConfirmation) {
    lines.push(`Nothing was reaped: ${r.dueCount} orphans are due, more than the limit of ${r.limit} per sweep. Confirm with ${confirmCommand(prefix)}.`);
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
  if (r.pools && r.pools.length > 0) lines.push('Warm pools (standing cost while they wait):', ...r.pools.map((p) => `  ${poolStandingLine(p)}`));
  for (const d of r.drift) lines.push(`Drift: ${d.env}: ${d.problem}`);
  for (const u of r.unpriced) lines.push(`Unpriced: ${u}`);
  for (const e of r.errors) lines.push(`Error: ${e}`);
  if (r.mode === 'dry-run') lines.push(dryRunWrites(r));
  return lines.join('\n');
}

/** Exactly what a dry run changed: no deletes, but marks (tags) and its record. */
export function dryRunWrites(r: Pick<SweepReport, 'marked' | 'unmarked'>): string {
  if (r.marked === 0 && r.unmarked === 0) return 'Dry run: nothing was deleted or tagged; only this sweep\'s record was stored.';
  const what = [
    ...(r.marked > 0 ? [`the tag ${TAG.reapAfter} on ${r.marked} new orphan${r.marked === 1 ? '' : 's'} (their grace period starts; an ALB target's mark is kept in the store, targets carry no tags)`] : []),
    ...(r.unmarked > 0 ? [`that tag taken off ${r.unmarked} asset${r.unmarked === 1 ? '' : 's'} no longer orphaned`] : []),
  ];
  return `Dry run: nothing was deleted. It wrote ${what.join(', ')}, and this sweep's record in the store.`;
}
