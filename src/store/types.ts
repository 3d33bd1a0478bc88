// What callers hand the store and get back beyond the domain types.

import type { AssetKind } from '../domain/asset.ts';
import type { Requester, Run, RunKind, RunOptions, RunState, Source } from '../domain/run.ts';

export interface NewRun {
  id: string;
  /** Defaults to `launch`. */
  kind?: RunKind;
  env: string | null;
  requester: Requester;
  source: Source;
  options: RunOptions;
  createdAt: Date;
  /** Defaults to `queued`. */
  state?: RunState;
  expiresAt?: Date | null;
  /**
   * Leased from its creation by this owner (heartbeat `createdAt`): a queued run whose requester waits
   * in the foreground (the CLI), so that no other process ever starts it, and its death drops it.
   */
  leaseOwner?: string;
  /** At most one active run per key (Run.concurrencyKey); createRun refuses a second with ActiveRunExists. */
  concurrencyKey?: string | null;
}

/** Fields to change; absent means unchanged, null clears. Leases change only through the lease methods. */
export type RunPatch = Partial<Pick<Run, 'state' | 'env' | 'startedAt' | 'finishedAt' | 'expiresAt' | 'error' | 'options' | 'cancelRequestedBy' | 'cancelReason'>>;

export interface RunFilter {
  states?: readonly RunState[];
  env?: string;
  requester?: string;
  source?: Source;
  /** Runs created at or after this time. */
  since?: Date;
  /** Runs created before this time. */
  before?: Date;
  limit?: number;
}

export interface Sweep {
  id: number;
  startedAt: Date;
  finishedAt: Date | null;
  dryRun: boolean;
  /** What the sweeper reports (counts, totals...); null until it finishes. */
  summary: Record<string, unknown> | null;
}

export interface ReapedAsset {
  sweepId: number;
  kind: AssetKind;
  assetId: string;
  region: string;
  /** The run its `asset-id` tag named, when it had one. */
  runId: string | null;
  /** What the asset had cost while orphaned, in USD. */
  costUsd: number;
  reapedAt: Date;
}

export interface KvEntry {
  value: unknown;
  updatedAt: Date;
}
