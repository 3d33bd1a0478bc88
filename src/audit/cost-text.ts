// `cost` as a terminal shows it: one line per group, most expensive first, then the total.
import { formatUsd } from '../cost/estimate.ts';
import type { CostLineGroup, CostReport } from './cost-report.ts';

function line(g: CostLineGroup): string {
  return `  ${g.key.padEnd(24)} ${String(g.runs).padStart(5)} runs ${formatUsd(g.runUsd).padStart(10)}   ${String(g.orphans).padStart(4)} orphans ${formatUsd(g.orphanUsd).padStart(10)}   total ${formatUsd(g.totalUsd).padStart(10)}`;
}

export function renderCostText(report: CostReport, orphansAsOf: Date | null): string {
  const day = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
  const lines = [`cost from ${day(report.since)} to ${day(report.until)} UTC${report.by ? `, by ${report.by}` : ''}:`];
  if (report.by) lines.push(...report.groups.map(line));
  lines.push(line({ ...report.total, key: 'total' }));
  lines.push(orphansAsOf ? `orphans as found by the sweep of ${day(orphansAsOf)} UTC` : 'orphans: no sweep has run yet (`sweep` finds them)');
  if (report.unknown.length) lines.push(`not priced: ${report.unknown.join('; ')}`);
  return lines.join('\n');
}
