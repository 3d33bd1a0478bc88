// The sweep: inventory every region, apply the orphan rules, price the orphans, mark the new ones, take
// the mark back from assets that stopped being orphans, and (in `reap` mode) re-check and delete the
// orphans whose grace period is over. Every sweep and every reaped asset is recorded in the store.
//
// Marking happens in both modes, on purpose: a mark is only a tag, harmless on its own, and it is what
// starts the grace period. So the daily dry-run report already starts the clock, and a person who reads
// it and presses "Reap now" a day later can act on what it listed. Deleting happens only in `reap` mode.
//
// A region, or a kind in one, that cannot be listed makes the sweep incomplete. What was listed is still
// reported, marked and reaped: every orphan rule judges an asset by its own tags and its run's record,
// so a region not seen changes no verdict elsewhere. But an incomplete report never reads as clean, it
// says first what it could not see, and it does not replace the last complete sweep's figures.

import type { AwsClients } from '../aws/clients.ts';
import { ASSET_KIND_DESCRIPTORS, descriptorOf } from '../aws/kinds/index.ts';
import { AccountNotAllowedError, checkAccount } from '../aws/account.ts';
import { allRegions } from '../config/regions.ts';
import type { Config } from '../config/types.ts';
import type { Prices } from '../cost/prices.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AssetKind } from '../domain/asset.ts';
import type { Store } from '../store/index.ts';
import { AwsCalls } from '../aws/calls.ts';
import { inventory } from './inventory.ts';
import type { ManifestBackend } from '../images/manifest.ts';
import { manifestBackend } from '../images/manifest-backend.ts';
import { manifestReferences } from './manifest-refs.ts';
import { applyMarks, problemLine } from './mark-phase.ts';
import { incompleteLines, unsweptLine } from './report-text.ts';
import { loadTargetMarks, saveTargetMarks } from './marks.ts';
import { plan } from './plan.ts';
import { reapDue } from './reap-phase.ts';
import { freshRules, loadPool, loadRuns } from './run-lookup.ts';
import { configuredRef, newestAmis, type AmiKeep, type RuleContext } from './rules.ts';
import { summarizeOrphans } from './totals.ts';
import type { ReapedEntry, SkippedEntry, SweepMode, SweepReport, UnsweptEntry } from './types.ts';

export interface SweepDeps {
  config: Config;
  store: Store;
  aws: AwsClients;
  prices: Prices;
  logger?: Logger | undefined;
  metrics?: Metrics | undefined;
  /** Regions listed at the same time. Default 4. */
  regionConcurrency?: number;
  /** Pause between the extra rounds after a throttle the SDK gave up on (tests pass one that does not wait). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  throttleBackoffMs?: number;
  /** The image manifest (default: the configured file, its history in `store`). */
  manifest?: ManifestBackend;
}

export interface SweepOptions {
  mode: SweepMode;
  /** Default: the wall clock. */
  now?: Date;
  /** Reap even when more than `sweeper.reapLimit` are due: a person confirmed ("Reap now"). */
  confirm?: boolean;
  signal?: AbortSignal;
}

export interface Sweeper {
  sweep(opts: SweepOptions): Promise<SweepReport>;
}

export function createSweeper(deps: SweepDeps): Sweeper {
  return { sweep: (opts) => sweep(deps, opts) };
}

export async function sweep(deps: SweepDeps, opts: SweepOptions): Promise<SweepReport> {
  const { config, store, aws } = deps;
  const now = opts.now ?? new Date();
  const wallStart = Date.now();
  const calls = new AwsCalls({
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.throttleBackoffMs !== undefined ? { throttleBackoffMs: deps.throttleBackoffMs } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const regions = allRegions(config);
  const limit = config.sweeper.reapLimit;
  const record = await store.recordSweep({ startedAt: now, dryRun: opts.mode === 'dry-run' });
  const errors: string[] = [];
  const unswept: UnsweptEntry[] = [];
  let accountRefused: string | null = null;
  let accountChecked = false;

  // 1. Whose assets these would be: nothing is listed before the credentials are known to belong to
  // an allowed account (another account's assets are not ours to report, mark or reap), and a sweep
  // that could not even ask has looked nowhere.
  try {
    await checkAccount(aws.sts(regions[0] ?? 'us-east-1'), config.aws.accountAllowlist);
    accountChecked = true;
  } catch (err) {
    if (err instanceof AccountNotAllowedError) accountRefused = err.message;
    for (const region of regions) unswept.push({ region, kind: null, reason: problemLine(err) });
  }

  // 2. What is there.
  const inventories = accountChecked ? await inventory({ aws, calls, config }, regions, deps.regionConcurrency ?? 4) : [];
  for (const inv of inventories) {
    if (inv.error) unswept.push({ region: inv.region, kind: null, reason: inv.error });
    for (const p of inv.partial) unswept.push({ region: inv.region, kind: p.kind, reason: p.reason });
  }
  /** Whether every asset of `kind` in `region` was listed (so one not seen there is gone). */
  const sweptFully = (region: string, kind: AssetKind) => !unswept.some((u) => u.region === region && (u.kind === null || u.kind === kind));
  const allAssets = inventories.flatMap((i) => i.assets);
  let minimumCalls = inventories.reduce((n, i) => n + i.minimumCalls, 0);

  // The image manifest: the AMIs any version of it named are never orphans; its drift is reported.
  const images = accountChecked ? await manifestReferences({ config, store, aws, now }, deps.manifest ?? manifestBackend(config, store)) : { amis: new Set<string>(), drift: [], problems: [] };

  for (const problem of images.problems) for (const region of regions) unswept.push({ region, kind: 'image', reason: problem });
  // Unjudged AMIs are left alone this time: one a manifest names must never be reaped by a guess.
  const assets = images.problems.length > 0 ? allAssets.filter((a) => a.kind !== 'image') : allAssets;

  // 3. What of it is an orphan.
  const pool = await loadPool(store, config);
  const runIds = [
    ...assets.flatMap((a) => (descriptorOf(a.kind).rule === 'run' && a.tags['asset-id'] ? [a.tags['asset-id']] : [])),
    ...[...pool.members.values()].flatMap((m) => (m.claimedBy ? [m.claimedBy] : [])),
  ];
  // An image's candidates: its own keepCandidates; everything else: sweeper.amiKeepNewest.
  const amiKeep = (env: string, channel: string | null): AmiKeep => {
    const image = channel === 'candidate' && env.startsWith('image:') ? config.images[env.slice('image:'.length)] : undefined;
    return image ? { count: image.keepCandidates, setting: `images.${image.name}.keepCandidates` } : { count: config.sweeper.amiKeepNewest, setting: 'sweeper.amiKeepNewest' };
  };
  const rules: RuleContext = {
    now,
    installation: config.installation,
    protectTag: config.sweeper.protectTag,
    leaseTtlMs: config.runs.leaseTtl,
    liveOwners: new Set((await store.liveReplicas(now, config.runs.leaseTtl)).map((r) => r.owner)),
    runs: await loadRuns(store, runIds),
    configured: new Set([
      ...ASSET_KIND_DESCRIPTORS.flatMap((d) => (d.configured ? d.configured.refs(config).map((ref) => configuredRef(d.kind, ref)) : [])),
      ...inventories.flatMap((i) => i.configuredAmis.map((id) => configuredRef('image', id))),
      ...[...images.amis].map((id) => configuredRef('image', id)),
    ]),
    amiMinAgeMs: config.sweeper.amiMinAge,
    // A region not listed can only hide newer AMIs, which keeps more of the others: the safe side.
    newestAmis: newestAmis(assets, config.installation, amiKeep),
    amiKeep,
    artifactRetentionMs: config.artifacts.retention,
    pool,
  };
  const targetMarks = await loadTargetMarks(store);
  const targetMarksBefore = new Map(targetMarks);
  const planned = plan(assets, rules, deps.prices, targetMarks);

  // What was not listed is not planned: marking and reaping in the regions (and kinds) that were
  // listed stays safe, since every orphan rule judges an asset by its own tags and its run's record.
  const wantsReap = opts.mode === 'reap' && planned.due.length > 0;
  const needsConfirmation = wantsReap && planned.due.length > limit && !opts.confirm;
  const willReap = wantsReap && !needsConfirmation;
  // 4. Mark new orphans, take the mark back from assets that are no longer orphans.
  let marked = 0;
  let unmarked = 0;
  if (accountChecked) {
    const m = await applyMarks({ aws, calls, regionConcurrency: deps.regionConcurrency ?? 4 }, planned, targetMarks, new Date(now.getTime() + config.sweeper.gracePeriod));
    ({ marked, unmarked } = m);
    minimumCalls += m.minimumCalls;
    errors.push(...m.errors);
    // Marks kept in the store (targets') of assets that are gone are forgotten, but only where every
    // target was listed: a target group that could not be read hides its targets, it does not remove them.
    const seen = new Set(assets.filter((a) => descriptorOf(a.kind).marks === 'store').map((a) => a.id));
    for (const [id] of targetMarks) {
      const owner = ASSET_KIND_DESCRIPTORS.flatMap((d) => {
        const region = d.markRegion?.(id, config) ?? null;
        return region === null ? [] : [{ kind: d.kind, region }];
      })[0];
      if (owner && sweptFully(owner.region, owner.kind) && inventories.some((i) => i.region === owner.region) && !seen.has(id)) targetMarks.delete(id);
    }
  }

  // 5. Reap what is due, after a fresh look at each.
  const reaped: ReapedEntry[] = [];
  const skipped: SkippedEntry[] = [];
  const reapedIds = new Set<string>();
  if (willReap && accountChecked) {
    const outcome = await reapDue(deps, calls, planned.due, await freshRules(store, config, rules, planned.due.flatMap((o) => (o.entry.runId ? [o.entry.runId] : []))), targetMarks);
    minimumCalls += outcome.minimumCalls;
    unmarked += outcome.unmarked;
    errors.push(...outcome.errors);
    for (const r of outcome.results) {
      const { asset } = r.due;
      if (!r.done) {
        skipped.push({ kind: asset.kind, id: asset.id, region: asset.region, reason: r.skipped ?? 'left alone' });
        continue;
      }
      reapedIds.add(asset.id);
      if (descriptorOf(asset.kind).marks === 'store') targetMarks.delete(asset.id);
      reaped.push({ kind: asset.kind, id: asset.id, region: asset.region, runId: r.due.runId, costUsd: r.due.costUsd, with: r.with });
      await store.recordReaped({ sweepId: record.id, kind: asset.kind, assetId: asset.id, region: asset.region, runId: r.due.runId, costUsd: r.due.costUsd, reapedAt: now });
      await store.markAssetDeleted(asset.kind, asset.id, now);
      const along = descriptorOf(asset.kind).reap?.takesAlong;
      for (const id of along ? r.with : []) {
        await store.recordReaped({ sweepId: record.id, kind: along!, assetId: id, region: asset.region, runId: r.due.runId, costUsd: 0, reapedAt: now });
        await store.markAssetDeleted(along!, id, now);
      }
    }
  }
  if (!sameMarks(targetMarksBefore, targetMarks)) await saveTargetMarks(store, targetMarks, now);

  // 6. The report.
  const standing = planned.orphans.filter((o) => !reapedIds.has(o.asset.id)).map((o) => o.entry);
  standing.sort((a, b) => (b.dailyUsd ?? 0) - (a.dailyUsd ?? 0) || a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
  const totals = summarizeOrphans(standing);
  // The last report of the same kind (the daily dry run's, or the last reap's): what other sweeps reaped after it.
  const previous = (await store.listSweeps(20)).find((s) => s.id < record.id && s.finishedAt !== null && s.dryRun === (opts.mode === 'dry-run'));
  const reapedSinceLastReport = previous
    ? (await store.reapedSince(previous.startedAt)).filter((r) => r.sweepId > previous.id && r.sweepId !== record.id)
    : [];
  const report: SweepReport = {
    sweepId: record.id,
    startedAt: now,
    finishedAt: new Date(now.getTime() + (Date.now() - wallStart)),
    mode: opts.mode,
    confirmed: opts.confirm ?? false,
    regions,
    complete: unswept.length === 0,
    unswept,
    accountRefused,
    awsCalls: calls.count,
    minimumCalls,
    orphans: standing,
    totalsByKind: totals.byKind,
    dailyCostUsd: totals.dailyUsd,
    accruedCostUsd: totals.accruedUsd,
    unpriced: planned.unpriced,
    marked,
    unmarked,
    dueCount: planned.due.length,
    reaped,
    skipped,
    reapedSinceLastReport,
    drift: [...inventories.flatMap((i) => i.drift), ...images.drift],
    needsConfirmation,
    limit,
    errors,
  };
  await store.finishSweep(record.id, report.finishedAt, sweepSummary(report));
  if (deps.metrics) {
    deps.metrics.sweepIncomplete.set(report.complete ? 0 : 1);
    // The orphan gauges keep the last complete sweep's figures: a partial count is not the count.
    if (report.complete) {
      deps.metrics.orphans.reset();
      for (const [kind, t] of Object.entries(totals.byKind)) deps.metrics.orphans.set({ kind }, t.count);
      deps.metrics.orphanDailyCost.set(totals.dailyUsd);
    }
  }
  const summary = { sweepId: record.id, mode: opts.mode, orphans: standing.length, reaped: reaped.length, awsCalls: calls.count, errors: errors.length };
  if (report.complete) deps.logger?.info(summary, 'sweep finished');
  else deps.logger?.warn({ ...summary, unswept: unswept.map(unsweptLine) }, 'sweep finished INCOMPLETE: some regions or kinds could not be listed');
  return report;
}

function sameMarks(a: ReadonlyMap<string, Date>, b: ReadonlyMap<string, Date>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, at] of a) if (b.get(id)?.getTime() !== at.getTime()) return false;
  return true;
}

/** What the store keeps of a sweep (the full report is rebuilt by the next sweep, not stored). */
export function sweepSummary(r: SweepReport): Record<string, unknown> {
  return {
    mode: r.mode,
    confirmed: r.confirmed,
    regions: r.regions,
    awsCalls: r.awsCalls,
    minimumCalls: r.minimumCalls,
    orphans: r.orphans.length,
    totalsByKind: r.totalsByKind,
    dailyCostUsd: r.dailyCostUsd,
    accruedCostUsd: r.accruedCostUsd,
    marked: r.marked,
    unmarked: r.unmarked,
    dueCount: r.dueCount,
    reaped: r.reaped.length,
    reapedCostUsd: r.reaped.reduce((n, x) => n + x.costUsd, 0),
    skipped: r.skipped.length,
    needsConfirmation: r.needsConfirmation,
    complete: r.complete,
    unswept: r.unswept,
    accountRefused: r.accountRefused,
    // As people read them, for boards that show the last sweep without the audit's renderer.
    incompleteLines: incompleteLines(r),
    drift: r.drift,
    errors: r.errors,
  };
}
