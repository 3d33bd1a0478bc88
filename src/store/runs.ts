// Runs: create, read, patch, and compare-and-set state changes.

import { ActiveRunExists, ConflictError, NotFoundError } from '../errors.ts';
import { ACTIVE_RUN_STATES, type Run, type RunState } from '../domain/run.ts';
import type { Db, SqlValue } from './db.ts';
import { runFromRow, toJson, toMs, type RunRow } from './rows.ts';
import type { NewRun, RunFilter, RunPatch } from './types.ts';

export const RUN_COLUMNS =
  'id, state, env, requester, source, options, created_at, started_at, finished_at, expires_at, error, lease_owner, lease_heartbeat_at, cancel_requested_by, cancel_reason, concurrency_key, lease_epoch, handover_from, kind';

/** `IN (?, ?, ?)` for a list of values. */
export function inList(values: readonly unknown[]): string {
  return `(${values.map(() => '?').join(', ')})`;
}

function patchAssignments(patch: RunPatch): { sql: string[]; params: SqlValue[] } {
  const sql: string[] = [];
  const params: SqlValue[] = [];
  const set = (column: string, value: SqlValue) => {
    sql.push(`${column} = ?`);
    params.push(value);
  };
  if (patch.state !== undefined) set('state', patch.state);
  if (patch.env !== undefined) set('env', patch.env);
  if (patch.startedAt !== undefined) set('started_at', toMs(patch.startedAt));
  if (patch.finishedAt !== undefined) set('finished_at', toMs(patch.finishedAt));
  if (patch.expiresAt !== undefined) set('expires_at', toMs(patch.expiresAt));
  if (patch.error !== undefined) set('error', patch.error);
  if (patch.options !== undefined) set('options', toJson(patch.options));
  if (patch.cancelRequestedBy !== undefined) set('cancel_requested_by', patch.cancelRequestedBy);
  if (patch.cancelReason !== undefined) set('cancel_reason', patch.cancelReason);
  return { sql, params };
}

export function runQueries(db: Db) {
  return {
    /**
     * Saves a new run (state `queued` unless given). Throws ConflictError when the id is taken, and
     * ActiveRunExists (naming that run) when an active run already holds its concurrency key: the
     * database's unique index decides, so of two launches racing with one key exactly one is saved.
     */
    async createRun(run: NewRun): Promise<Run> {
      const key = run.concurrencyKey ?? null;
      // Bounded: each retry means the run holding the key ended between the insert and the look.
      for (let attempt = 1; attempt <= 3; attempt++) {
        const rows = await db.query<RunRow>(
          `INSERT INTO runs (id, state, env, requester, source, options, created_at, expires_at, concurrency_key, lease_owner, lease_heartbeat_at, lease_epoch, kind)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING
           RETURNING ${RUN_COLUMNS}`,
          [
            run.id,
            run.state ?? 'queued',
            run.env,
            run.requester,
            run.source,
            toJson(run.options),
            toMs(run.createdAt),
            toMs(run.expiresAt),
            key,
            // A foreground requester's run is leased to it from the start (NewRun.leaseOwner).
            run.leaseOwner ?? null,
            run.leaseOwner ? toMs(run.createdAt) : null,
            run.leaseOwner ? 1 : 0,
            run.kind ?? 'launch',
          ],
        );
        if (rows[0]) return runFromRow(rows[0]);
        const sameId = await db.query<{ id: string }>('SELECT id FROM runs WHERE id = ?', [run.id]);
        if (sameId.length > 0) throw new ConflictError(`Run ${run.id} already exists; every launch needs a new run id.`);
        if (key === null) break;
        const holders = await db.query<RunRow>(
          `SELECT ${RUN_COLUMNS} FROM runs WHERE concurrency_key = ? AND state IN ${inList(ACTIVE_RUN_STATES)}`,
          [key, ...ACTIVE_RUN_STATES],
        );
        if (holders[0]) throw new ActiveRunExists(runFromRow(holders[0]));
      }
      throw new ConflictError(`Run ${run.id} could not be saved: its concurrency key ${key ?? '(none)'} kept changing hands; try again.`);
    },

    async getRun(id: string): Promise<Run | null> {
      const rows = await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`, [id]);
      return rows[0] ? runFromRow(rows[0]) : null;
    },

    /** Applies the patch unconditionally and returns the run as saved. Throws NotFoundError for an unknown id. */
    async updateRun(id: string, patch: RunPatch): Promise<Run> {
      const { sql, params } = patchAssignments(patch);
      const rows = sql.length
        ? await db.query<RunRow>(`UPDATE runs SET ${sql.join(', ')} WHERE id = ? RETURNING ${RUN_COLUMNS}`, [...params, id])
        : await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`, [id]);
      if (!rows[0]) throw new NotFoundError(`No run ${id}.`);
      return runFromRow(rows[0]);
    },

    /**
     * Moves the run to `to` (and applies `patch`) only if its state is one of `from`, in one statement,
     * so of two actors racing to move a run exactly one succeeds. False when the run was not in `from`
     * (or does not exist).
     */
    async transitionRun(
      id: string,
      from: readonly RunState[],
      to: RunState,
      patch: Omit<RunPatch, 'state'> = {},
      /** Only while this owner holds the run's lease at this epoch (a fenced driver's last write). */
      lease?: { owner: string; epoch: number },
    ): Promise<boolean> {
      if (from.length === 0) return false;
      const { sql, params } = patchAssignments({ ...patch, state: to });
      const leaseSql = lease ? ' AND lease_owner = ? AND lease_epoch = ?' : '';
      const changed = await db.run(`UPDATE runs SET ${sql.join(', ')} WHERE id = ? AND state IN ${inList(from)}${leaseSql}`, [
        ...params,
        id,
        ...from,
        ...(lease ? [lease.owner, lease.epoch] : []),
      ]);
      return changed === 1;
    },

    /** Newest first. */
    async listRuns(filter: RunFilter = {}): Promise<Run[]> {
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (filter.states) {
        if (filter.states.length === 0) return [];
        where.push(`state IN ${inList(filter.states)}`);
        params.push(...filter.states);
      }
      if (filter.env !== undefined) {
        where.push('env = ?');
        params.push(filter.env);
      }
      if (filter.requester !== undefined) {
        where.push('requester = ?');
        params.push(filter.requester);
      }
      if (filter.source !== undefined) {
        where.push('source = ?');
        params.push(filter.source);
      }
      if (filter.since !== undefined) {
        where.push('created_at >= ?');
        params.push(toMs(filter.since));
      }
      if (filter.before !== undefined) {
        where.push('created_at < ?');
        params.push(toMs(filter.before));
      }
      let sql = `SELECT ${RUN_COLUMNS} FROM runs`;
      if (where.length) sql += ` WHERE ${where.join(' AND ')}`;
      sql += ' ORDER BY created_at DESC, id DESC';
      if (filter.limit !== undefined) {
        sql += ' LIMIT ?';
        params.push(Math.max(0, Math.floor(filter.limit)));
      }
      return (await db.query<RunRow>(sql, params)).map(runFromRow);
    },

    /** Queued runs, oldest first: the order they get an environment. */
    async queuedRuns(): Promise<Run[]> {
      const rows = await db.query<RunRow>(
        `SELECT ${RUN_COLUMNS} FROM runs WHERE state = 'queued' ORDER BY created_at ASC, id ASC`,
      );
      return rows.map(runFromRow);
    },
  };
}

export type RunQueries = ReturnType<typeof runQueries>;
