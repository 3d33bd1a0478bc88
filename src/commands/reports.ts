// The audit's reports as fronts render them (the daily sweep, a reap, cost), and the sweep report's
// plain-text form that the CLI prints and Slack puts under its own summary.
export type { CostReport, CostLineGroup, DaySpend, OrphansReport, SpendReport, SweepView, DriftEntry, KindTotal, OrphanEntry, ReapedEntry, SkippedEntry, SweepMode, SweepReport, UnsweptEntry } from '../audit/index.ts';
export type { CostReportData } from '../audit/service.ts';
export { incompleteLines, renderSweepText } from '../audit/report-text.ts';
export { poolStandingLine, type PoolStanding } from './pool-lines.ts';
export type { ImagesReport, ImageRow } from '../images/report.ts';
export type { ImageDrift } from '../images/drift.ts';
