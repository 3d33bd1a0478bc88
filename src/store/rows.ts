// Rows as both backends return them (snake_case, epoch ms, JSON as text) <-> domain types.

import { ASSET_KINDS, type Asset, type AssetKind } from '../domain/asset.ts';
import type { EnvLock } from '../domain/lock.ts';
import {
  RUN_KINDS,
  RUN_STATES,
  SOURCES,
  STEP_STATES,
  type Requester,
  type Run,
  type RunKind,
  type RunEvent,
  type RunOptions,
  type Source,
  type Step,
} from '../domain/run.ts';
import type { ReapedAsset, Sweep } from './types.ts';

export function toMs(date: Date): number;
export function toMs(date: Date | null | undefined): number | null;
export function toMs(date: Date | null | undefined): number | null {
  if (date == null) return null;
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new TypeError('store: cannot save an invalid Date');
  return ms;
}

function toDate(ms: number | null): Date | null {
  return ms == null ? null : new Date(Number(ms));
}

export function toJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError('store: value is not JSON-serialisable');
  return text;
}

function fromJson<T>(text: string | null, what: string): T {
  try {
    return JSON.parse(text ?? 'null') as T;
  } catch {
    throw new Error(`store: ${what} holds invalid JSON`);
  }
}

// A value outside the known set means the row was written by something else (or a newer
// stagebot); failing loudly beats handing the core a state it has no branch for.
function oneOf<T extends string>(allowed: readonly T[], value: string, what: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`store: ${what} has unknown value "${value}"`);
  return value as T;
}

export interface RunRow {
  id: string;
  state: string;
  env: string | null;
  requester: string;
  source: string;
  options: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  expires_at: number | null;
  error: string | null;
  lease_owner: string | null;
  lease_heartbeat_at: number | null;
  cancel_requested_by: string | null;
  lease_epoch: number;
  handover_from: string | null;
  cancel_reason: string | null;
  concurrency_key: string | null;
  kind: string;
}

export function runFromRow(row: RunRow): Run {
  return {
    id: row.id,
    kind: oneOf<RunKind>(RUN_KINDS, row.kind ?? 'launch', `run ${row.id} kind`),
    env: row.env,
    state: oneOf(RUN_STATES, row.state, `run ${row.id} state`),
    requester: row.requester as Requester,
    source: oneOf<Source>(SOURCES, row.source, `run ${row.id} source`),
    options: fromJson<RunOptions>(row.options, `run ${row.id} options`),
    createdAt: new Date(Number(row.created_at)),
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
    expiresAt: toDate(row.expires_at),
    leaseOwner: row.lease_owner,
    leaseHeartbeatAt: toDate(row.lease_heartbeat_at),
    error: row.error,
    cancelRequestedBy: row.cancel_requested_by,
    leaseEpoch: Number(row.lease_epoch ?? 0),
    handoverFrom: row.handover_from ?? null,
    cancelReason: row.cancel_reason,
    concurrencyKey: row.concurrency_key,
  };
}

export interface StepRow {
  run_id: string;
  name: string;
  state: string;
  started_at: number | null;
  finished_at: number | null;
  outputs: string;
  error: string | null;
}

export function stepFromRow(row: StepRow): Step {
  return {
    runId: row.run_id,
    name: row.name,
    state: oneOf(STEP_STATES, row.state, `step ${row.run_id}/${row.name} state`),
    startedAt: toDate(row.started_at),
    finishedAt: toDate(row.finished_at),
    outputs: fromJson<Record<string, unknown>>(row.outputs, `step ${row.run_id}/${row.name} outputs`),
    error: row.error,
  };
}

export interface EventRow {
  run_id: string;
  seq: number;
  at: number;
  type: string;
  data: string;
}

export function eventFromRow(row: EventRow): RunEvent {
  return {
    runId: row.run_id,
    seq: Number(row.seq),
    at: new Date(Number(row.at)),
    type: row.type,
    data: fromJson<Record<string, unknown>>(row.data, `event ${row.run_id}#${row.seq} data`),
  };
}

export interface AssetRow {
  run_id: string;
  kind: string;
  asset_id: string;
  region: string;
  created_at: number;
  deleted_at: number | null;
}

export function assetFromRow(row: AssetRow): Asset {
  return {
    runId: row.run_id,
    kind: oneOf<AssetKind>(ASSET_KINDS, row.kind, `asset ${row.asset_id} kind`),
    id: row.asset_id,
    region: row.region,
    createdAt: new Date(Number(row.created_at)),
    deletedAt: toDate(row.deleted_at),
  };
}

export interface LockRow {
  env: string;
  holder: string;
  holder_kind: string;
  reason: string | null;
  sticky: number;
  since: number;
}

export function lockFromRow(row: LockRow): EnvLock {
  return {
    env: row.env,
    holder: row.holder,
    holderKind: oneOf(['run', 'person'] as const, row.holder_kind, `lock ${row.env} holder kind`),
    reason: row.reason,
    sticky: Number(row.sticky) !== 0,
    since: new Date(Number(row.since)),
  };
}

export interface SweepRow {
  id: number;
  started_at: number;
  finished_at: number | null;
  dry_run: number;
  summary: string | null;
}

export function sweepFromRow(row: SweepRow): Sweep {
  return {
    id: Number(row.id),
    startedAt: new Date(Number(row.started_at)),
    finishedAt: toDate(row.finished_at),
    dryRun: Number(row.dry_run) !== 0,
    summary: row.summary == null ? null : fromJson<Record<string, unknown>>(row.summary, `sweep ${row.id} summary`),
  };
}

export interface ReapedRow {
  sweep_id: number;
  kind: string;
  asset_id: string;
  region: string;
  run_id: string | null;
  cost_usd: number;
  reaped_at: number;
}

export function reapedFromRow(row: ReapedRow): ReapedAsset {
  return {
    sweepId: Number(row.sweep_id),
    kind: oneOf<AssetKind>(ASSET_KINDS, row.kind, `reaped ${row.asset_id} kind`),
    assetId: row.asset_id,
    region: row.region,
    runId: row.run_id,
    costUsd: Number(row.cost_usd),
    reapedAt: new Date(Number(row.reaped_at)),
  };
}

export function kvValueFromRow(row: { key: string; value: string }): unknown {
  return fromJson<unknown>(row.value, `kv ${row.key}`);
}
