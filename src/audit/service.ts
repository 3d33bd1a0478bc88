// The audit as the command executor and the server use it: sweeps on demand and on schedule (with
// the record of the last sweep's orphans that `cost` reads), cost reports, the daily report (posted
// to Slack when the Slack front is up, logged otherwise), and the pruning of old bookkeeping.
import type { ManifestBackend } from '../images/manifest.ts';
import type { AwsClients } from '../aws/clients.ts';
import type { Config } from '../config/index.ts';
import type { Prices } from '../cost/prices.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { CostGroup } from '../domain/cost-group.ts';
import type { Requester } from '../domain/run.ts';
import type { Store } from '../store/index.ts';
import { costReport, type CostReport } from './cost-report.ts';
import { renderCostText } from './cost-text.ts';
import { renderSweepText, sweepProblems } from './report-text.ts';
import { startSweepSchedule } from './schedule.ts';
import { orphansReport, type OrphansReport } from './orphans-report.ts';
import { poolStandings, type PoolStanding } from './pool-standing.ts';
import { spendReport, type SpendReport } from './spend-report.ts';
import { createSweeper } from './sweep.ts';
import type { OrphanEntry, SweepReport } from './types.ts';

/**
 * The orphans of the latest COMPLETE sweep, so `cost` can add them without sweeping (which would tag).
 * An incomplete sweep never replaces them: a partial count is not the count.
 */
const LAST_ORPHANS_KEY = 'sweeper:last-orphans';

/** `cost`'s report: the orphans are the last complete sweep's (`orphansAsOf`), even when a later one was incomplete. */
export type CostReportData = CostReport & { orphansAsOf: Date | null; newerIncompleteSweepAt: Date | null; pools: PoolStanding[] };

/** Sweeps and cost reports on demand (the `sweep` and `cost` verbs), and the scheduled sweep. */
export interface AuditService {
  /** `prefix`: how the asking front writes a command (`stagebot`, `/stage`), for the text's hints. */
  sweep(opts: { mode: 'dry-run' | 'reap'; requester: Requester; confirm?: boolean; prefix?: string }): Promise<{ data: SweepReport; text: string; problems: string[] }>;
  cost(opts: { sinceMs: number | null; by: CostGroup | null }): Promise<{ data: CostReportData; text: string; problems: string[] }>;
  /** The last complete sweep, the orphans it listed, and what was reaped in the last `reapedDays` days (the dashboard). */
  orphans(opts: { reapedDays: number }): Promise<OrphansReport>;
  /** The last `days` days' cost by environment, by requester and by day (the dashboard). */
  spend(opts: { days: number }): Promise<SpendReport>;
  /** The scheduled sweep: reaps what is past its grace (within the limit) and returns the report. */
  scheduledSweep(): Promise<SweepReport>;
}

export interface AuditDeps {
  config: Config;
  store: Store;
  aws: AwsClients;
  prices: Prices;
  logger: Logger;
  metrics?: Metrics;
  clock?: Clock;
  /** The local artifact directory, pruned past `artifacts.retention` by reap sweeps (S3 artifacts are an asset kind). */
  localArtifacts?: { prune(before: Date): Promise<{ runs: string[]; bytes: number }> } | undefined;
  /** The image manifest (drift, the AMIs it keeps); default the configured file. */
  manifest?: ManifestBackend | undefined;
}

export function createAudit(deps: AuditDeps): AuditService {
  const clock = deps.clock ?? systemClock;
  const sweeper = createSweeper({ config: deps.config, store: deps.store, aws: deps.aws, prices: deps.prices, logger: deps.logger, ...(deps.metrics ? { metrics: deps.metrics } : {}), ...(deps.manifest ? { manifest: deps.manifest } : {}) });
  const run = async (mode: 'dry-run' | 'reap', confirm = false): Promise<SweepReport> => {
    const report = await sweeper.sweep({ mode, now: clock.now(), confirm });
    if (mode === 'reap' && deps.localArtifacts) {
      try {
        const pruned = await deps.localArtifacts.prune(new Date(clock.now().getTime() - deps.config.artifacts.retention));
        report.prunedArtifacts = { runs: pruned.runs.length, bytes: pruned.bytes };
        if (pruned.runs.length > 0) deps.logger.info({ runs: pruned.runs, bytes: pruned.bytes }, 'deleted test artifacts past their retention');
      } catch (err) {
        report.errors.push(`test artifacts past retention could not be deleted: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    try {
      report.pools = await poolStandings(deps.store, deps.config, deps.prices);
    } catch (err) {
      deps.logger.warn({ err }, 'the warm pools\' standing cost could not be read for the sweep report');
    }
    if (report.complete) await deps.store.kvSet(LAST_ORPHANS_KEY, { at: report.startedAt, orphans: report.orphans }, clock.now());
    return report;
  };
  return {
    async sweep({ mode, confirm, prefix }) {
      const report = await run(mode, confirm ?? false);
      return { data: report, text: renderSweepText(report, prefix ?? 'stagebot'), problems: sweepProblems(report, prefix ?? 'stagebot') };
    },
    async cost({ sinceMs, by }) {
      const last = await lastOrphans(deps.store);
      const report = await costReport(deps.store, deps.config, deps.prices, { sinceMs, by, now: clock.now() }, last?.orphans ?? []);
      const asOf = last?.at ?? null;
      const latest = (await deps.store.listSweeps(1))[0];
      const newer = latest && latest.summary?.complete === false && (asOf === null || latest.startedAt > asOf) ? latest.startedAt : null;
      const pools = await poolStandings(deps.store, deps.config, deps.prices);
      return { data: { ...report, orphansAsOf: asOf, newerIncompleteSweepAt: newer, pools }, text: renderCostText(report, asOf, newer, pools), problems: [] };
    },
    async orphans({ reapedDays }) {
      return orphansReport(deps.store, await lastOrphans(deps.store), { now: clock.now(), reapedWindowMs: reapedDays * 86_400_000 });
    },
    async spend({ days }) {
      const last = await lastOrphans(deps.store);
      return spendReport(deps.store, deps.config, deps.prices, { days, now: clock.now(), orphansAsOf: last?.at ?? null }, last?.orphans ?? []);
    },
    scheduledSweep: () => run('reap'),
  };
}

/** The orphans the latest complete sweep listed, as saved after it (dates revived). */
async function lastOrphans(store: Pick<Store, 'kvGet'>): Promise<{ at: Date; orphans: OrphanEntry[] } | null> {
  const saved = (await store.kvGet(LAST_ORPHANS_KEY))?.value as { at: string; orphans: OrphanEntry[] } | undefined;
  if (!saved) return null;
  return { at: new Date(saved.at), orphans: saved.orphans.map((o) => ({ ...o, reapAfter: o.reapAfter ? new Date(o.reapAfter) : null })) };
}

/** Delivery keys outlive every redelivery window (Slack: minutes; GitHub: 3 days, by hand). */
export const DELIVERY_MEMORY_MS = 7 * 86_400_000;
/** Claimed cron slots are only needed while replicas might still race for them. */
export const CRON_SLOT_MEMORY_MS = 30 * 86_400_000;

/** Forgets idempotency keys and cron claims nobody can need any more; returns how many. */
export async function pruneBookkeeping(store: Store, now: Date): Promise<{ deliveries: number; cronSlots: number }> {
  return {
    deliveries: await store.pruneDeliveries(new Date(now.getTime() - DELIVERY_MEMORY_MS)),
    cronSlots: await store.pruneCronSlots(new Date(now.getTime() - CRON_SLOT_MEMORY_MS)),
  };
}

/**
 * Runs the sweeper on config.sweeper.schedule; with several replicas each occurrence runs once.
 * `post` delivers the daily report (the Slack front's, when it is up); the report is logged either way.
 */
export function scheduleSweeps(opts: { audit: AuditService; config: Config; store: Store; ownerId: string; logger: Logger; post?: (report: SweepReport) => Promise<void> }): () => Promise<void> {
  return startSweepSchedule({
    config: opts.config,
    store: opts.store,
    ownerId: opts.ownerId,
    logger: opts.logger,
    run: async () => {
      const report = await opts.audit.scheduledSweep();
      opts.logger.info({ complete: report.complete, orphans: report.orphans.length, reaped: report.reaped.length, dailyCostUsd: report.dailyCostUsd, awsCalls: report.awsCalls }, 'scheduled sweep done');
      if (opts.post) await opts.post(report).catch((err) => opts.logger.error({ err }, 'could not post the daily report'));
      else opts.logger.info({ report: renderSweepText(report, 'stagebot') }, 'daily report (no Slack front to post it to)');
      const pruned = await pruneBookkeeping(opts.store, new Date());
      opts.logger.info(pruned, 'pruned old delivery keys and cron slots');
    },
  });
}
