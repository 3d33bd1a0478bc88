// The sweeper's vocabulary: what the inventory finds, what the rules decide, and the report it hands
// to the fronts (plain data: Slack, the CLI and the web each render it their own way).

import type { AssetKind } from '../domain/asset.ts';
import type { ReapedAsset } from '../store/types.ts';
import type { PoolStanding } from './pool-standing.ts';

export type { FoundAsset, AssetExtra } from '../aws/kinds/types.ts';

export type Verdict =
  | { orphan: true; reason: string; since: Date }
  | { orphan: false; why: string };

export interface OrphanEntry {
  kind: AssetKind;
  id: string;
  region: string;
  env: string | null;
  runId: string | null;
  requester: string | null;
  /** One line: what makes it an orphan, e.g. `run stg4-20261118-a1b2c3 failed 3 days ago; instance still running`. */
  reason: string;
  detail: string;
  /** How long it has been an orphan (since its run finished, its TTL passed, or it was created). */
  ageMs: number;
  /** USD it cost while orphaned; null when its price is unknown. */
  accruedUsd: number | null;
  /** USD per day from now on while it stays. */
  dailyUsd: number | null;
  /** When it may be reaped (its `stagebot:reap-after` mark), null while unmarked. */
  reapAfter: Date | null;
  /** True once it carries the mark (possibly set by this sweep). */
  marked: boolean;
  /** Marked and past its grace period: a reap sweep deletes it (unless the limit stops it). */
  due: boolean;
}

export interface ReapedEntry {
  kind: AssetKind;
  id: string;
  region: string;
  runId: string | null;
  /** What it had cost while orphaned (USD). */
  costUsd: number;
  /** Things that went with it (an AMI's snapshots). */
  with: string[];
}

export interface SkippedEntry {
  kind: AssetKind;
  id: string;
  region: string;
  /** Why the re-check before deleting left it alone, or why deleting failed. */
  reason: string;
}

export interface DriftEntry {
  env: string;
  ami: string;
  problem: string;
}

export interface KindTotal {
  count: number;
  dailyUsd: number;
  accruedUsd: number;
}

export type SweepMode = 'dry-run' | 'reap';

/** What a sweep could not look at: a whole region (`kind` null) or one kind in it, and why (one line). */
export interface UnsweptEntry {
  region: string;
  kind: AssetKind | null;
  reason: string;
}

export interface SweepReport {
  sweepId: number;
  startedAt: Date;
  finishedAt: Date;
  mode: SweepMode;
  confirmed: boolean;
  regions: string[];
  /**
   * False when a region, or a kind in one, could not be listed (`unswept` says which and why), or the
   * account check refused: the report then covers only what was listed, and it is never a clean bill.
   * Such a sweep does not replace the last complete one's figures (`cost`, the metrics, App Home).
   */
  complete: boolean;
  unswept: UnsweptEntry[];
  /** The credentials belong to an account not in aws.accountAllowlist: nothing was listed, marked or reaped. */
  accountRefused: string | null;
  /** AWS requests this sweep made, retries included (STS's cached identity check not counted). */
  awsCalls: number;
  /** The fewest requests the same answers need: the pages of each listing at AWS's largest page size, plus one per mark batch and delete. */
  minimumCalls: number;
  orphans: OrphanEntry[];
  totalsByKind: Partial<Record<AssetKind, KindTotal>>;
  dailyCostUsd: number;
  accruedCostUsd: number;
  /** Orphans that could not be priced (their cost is left out of the totals, not guessed). */
  unpriced: string[];
  marked: number;
  unmarked: number;
  /** Orphans marked and past their grace period. */
  dueCount: number;
  reaped: ReapedEntry[];
  skipped: SkippedEntry[];
  /** Reaped by other sweeps (e.g. a "Reap now") since the previous report. */
  reapedSinceLastReport: ReapedAsset[];
  drift: DriftEntry[];
  /** More orphans were due than `limit`: nothing was reaped; a person must confirm. */
  needsConfirmation: boolean;
  limit: number;
  errors: string[];
  /** Test artifacts in the local directory deleted past their retention (reap sweeps; S3 ones are orphans above). */
  prunedArtifacts?: { runs: number; bytes: number } | undefined;
  /** Each environment's warm pool: what it costs while it waits, beside what a warm launch saves (issue 14). */
  pools?: PoolStanding[] | undefined;
}
