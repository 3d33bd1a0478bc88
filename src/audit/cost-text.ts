// `cost` as a terminal shows it: one line per group, most expensive first, then the total.
import { formatUsd } from '../cost/estimate.ts';
import type { CostLineGroup, CostReport } from './cost-report.ts';
import { poolStandingLine, type PoolStanding } from './pool-standing.ts';

function line(g: CostLineGroup): string {
  return `  ${g.key.padEnd(24)} ${String(g.runs).padStart(5)} runs ${formatUsd(g.runUsd).padStart(10)}   ${String(g.orphans).padStart(4)} orphans ${formatUsd(g.orphanUsd).padStart(10)}   total ${formatUsd(g.totalUsd).padStart(10)}`;
}

/** `newerIncomplete`: a later sweep could not list everything, so the orphans are the older complete one's. */
export function renderCostText(report: CostReport, orphansAsOf: Date | null, newerIncomplete: Date | null = null, pools: readonly PoolStanding[] = []): string {
  const day = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
  const lines = [`cost from ${day(report.since)} to ${day(report.until)} UTC${report.by ? `, by ${report.by}` : ''}:`];
  if (report.by) lines.push(...report.groups.map(line));
  lines.push(line({ ...report.total, key: 'total' }));
  lines.push(orphansAsOf ? `orphans as found by the sweep of ${day(orphansAsOf)} UTC` : 'orphans: no complete sweep has run yet (`sweep` finds them)');
  if (newerIncomplete) lines.push(`the sweep of ${day(newerIncomplete)} UTC could not list everything; its partial count is not used`);
  const withRun = report.total.orphansInRunCost;
  if (withRun > 0) lines.push(`${withRun} of the ${report.total.orphans} orphans ${withRun === 1 ? 'is' : 'are'} priced with ${withRun === 1 ? 'its run' : 'their runs'} (in the runs' figure, not again as orphans)`);
  if (report.unknown.length) lines.push(`not priced: ${report.unknown.join('; ')}`);
  if (pools.length > 0) lines.push('warm pools (standing cost while they wait, not in the figures above):', ...pools.map((p) => `  ${poolStandingLine(p)}`));
  return lines.join('\n');
}
