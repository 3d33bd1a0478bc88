// The audit's public surface: the sweeper and its report, cost reports, price refresh, the schedule,
// and a run's assets.

export { sweep, createSweeper, sweepSummary, type Sweeper, type SweepDeps, type SweepOptions } from './sweep.ts';
export { incompleteLines, renderSweepText, unsweptLine } from './report-text.ts';
export { costReport, DEFAULT_COST_WINDOW_MS, type CostReport, type CostReportOptions, type CostLineGroup } from './cost-report.ts';
export { refreshPrices, hourlyPriceOf, type PriceRefresh } from './prices-refresh.ts';
export { loadPrices, cachedInstancePrices, PRICES_KV_KEY, type InstancePrices } from './price-cache.ts';
export { startSweepSchedule, runIfClaimed, occurrenceOf, SWEEP_SLOT, type SweepScheduleOptions } from './schedule.ts';
export { spendReport, type SpendReport, type DaySpend } from './spend-report.ts';
export { orphansReport, sweepView, type OrphansReport, type SweepView } from './orphans-report.ts';
export { assetsOfRun, type RunAssetLine } from './run-assets.ts';
export { poolStandings, poolStandingLine, type PoolStanding, type PoolStandingStore } from './pool-standing.ts';
export { TARGET_MARKS_KEY } from './marks.ts';
export { createAudit, scheduleSweeps, pruneBookkeeping, DELIVERY_MEMORY_MS, CRON_SLOT_MEMORY_MS, type AuditService, type AuditDeps } from './service.ts';
export type {
  SweepReport,
  SweepMode,
  OrphanEntry,
  ReapedEntry,
  SkippedEntry,
  DriftEntry,
  KindTotal,
  UnsweptEntry,
} from './types.ts';
