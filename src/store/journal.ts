// A run's journal: its steps (state, timing, outputs a resumed run needs) and its event timeline.

import { NotFoundError } from '../errors.ts';
import type { RunEvent, Step } from '../domain/run.ts';
import type { Db } from './db.ts';
import { eventFromRow, stepFromRow, toJson, toMs, type EventRow, type StepRow } from './rows.ts';

const STEP_COLUMNS = 'run_id, name, state, started_at, finished_at, outputs, error';

export function journalQueries(db: Db) {
  return {
    /** Saves the step's current state; the first save of a name fixes its place in `getSteps`. */
    async upsertStep(step: Step): Promise<void> {
      await db.run(
        `INSERT INTO steps (run_id, name, state, started_at, finished_at, outputs, error)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, name) DO UPDATE SET
           state = excluded.state, started_at = excluded.started_at, finished_at = excluded.finished_at,
           outputs = excluded.outputs, error = excluded.error`,
        [step.runId, step.name, step.state, toMs(step.startedAt), toMs(step.finishedAt), toJson(step.outputs), step.error],
      );
    },

    /** Ends the run's `running` steps as `interrupted` (their process stopped mid-step); returns their names. */
    async interruptSteps(runId: string, at: Date, error: string): Promise<string[]> {
      const rows = await db.query<{ name: string }>(
        `UPDATE steps SET state = 'interrupted', finished_at = ?, error = ? WHERE run_id = ? AND state = 'running' RETURNING name`,
        [toMs(at), error, runId],
      );
      return rows.map((r) => r.name);
    },

    async getStep(runId: string, name: string): Promise<Step | null> {
      const rows = await db.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = ? AND name = ?`, [runId, name]);
      return rows[0] ? stepFromRow(rows[0]) : null;
    },

    /** In the order they were first saved. */
    async getSteps(runId: string): Promise<Step[]> {
      const rows = await db.query<StepRow>(`SELECT ${STEP_COLUMNS} FROM steps WHERE run_id = ? ORDER BY seq`, [runId]);
      return rows.map(stepFromRow);
    },

    /**
     * How long each step took in the environment's `runs` most recently finished runs (succeeded steps
     * only: a failed or cancelled step's time says nothing of the usual), newest run first. The ETA and
     * the timing table's "usual" come from this (src/pipeline/step-history.ts).
     */
    async stepHistory(env: string, runs = 20): Promise<{ runId: string; name: string; durationMs: number }[]> {
      const rows = await db.query<{ run_id: string; name: string; started_at: number | string; finished_at: number | string }>(
        `SELECT s.run_id, s.name, s.started_at, s.finished_at
           FROM steps s
           JOIN (SELECT id, finished_at AS run_finished FROM runs WHERE env = ? AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?) r ON r.id = s.run_id
          WHERE s.state = 'succeeded' AND s.started_at IS NOT NULL AND s.finished_at IS NOT NULL
          ORDER BY r.run_finished DESC, s.seq`,
        [env, runs],
      );
      return rows.map((r) => ({ runId: r.run_id, name: r.name, durationMs: Math.max(0, Number(r.finished_at) - Number(r.started_at)) }));
    },

    /**
     * The warm pool's savings (issue 14): for the environment's `runs` most recently finished runs whose
     * launch and service-update both succeeded, those two steps' times and whether the launch claimed a
     * pool member (its launch outputs name a `warmMember`, or a pool member is still recorded as claimed
     * by it). Newest first.
     */
    async launchPathHistory(env: string, runs = 20): Promise<{ runId: string; warm: boolean; launchMs: number; serviceUpdateMs: number }[]> {
      const rows = await db.query<{ run_id: string; name: string; started_at: number | string; finished_at: number | string; outputs: string; claimed: number | string }>(
        `SELECT s.run_id, s.name, s.started_at, s.finished_at, s.outputs,
                (SELECT COUNT(*) FROM pool_members p WHERE p.claimed_by = s.run_id) AS claimed
           FROM steps s
           JOIN (SELECT id, finished_at AS run_finished FROM runs WHERE env = ? AND kind = 'launch' AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?) r ON r.id = s.run_id
          WHERE s.name IN ('launch', 'service-update') AND s.state = 'succeeded' AND s.started_at IS NOT NULL AND s.finished_at IS NOT NULL
          ORDER BY r.run_finished DESC, s.run_id`,
        [env, runs],
      );
      const byRun = new Map<string, { runId: string; warm: boolean; launchMs: number | null; serviceUpdateMs: number | null }>();
      for (const r of rows) {
        const entry = byRun.get(r.run_id) ?? { runId: r.run_id, warm: Number(r.claimed) > 0, launchMs: null, serviceUpdateMs: null };
        const ms = Math.max(0, Number(r.finished_at) - Number(r.started_at));
        if (r.name === 'launch') {
          const member = stepFromRow({ run_id: r.run_id, name: r.name, state: 'succeeded', started_at: null, finished_at: null, outputs: r.outputs, error: null }).outputs['warmMember'];
          if (typeof member === 'string' && member !== '') entry.warm = true;
          entry.launchMs = ms;
        } else entry.serviceUpdateMs = ms;
        byRun.set(r.run_id, entry);
      }
      return [...byRun.values()].flatMap((e) => (e.launchMs === null || e.serviceUpdateMs === null ? [] : [{ runId: e.runId, warm: e.warm, launchMs: e.launchMs, serviceUpdateMs: e.serviceUpdateMs }]));
    },

    /**
     * Appends to the run's timeline with the next sequence number (1, 2, 3... per run). The counter
     * lives on the run row, so concurrent appends queue on that row rather than collide.
     * Throws NotFoundError for an unknown run.
     */
    async appendEvent(runId: string, type: string, data: Record<string, unknown> = {}, at: Date = new Date()): Promise<RunEvent> {
      const dataJson = toJson(data);
      return db.transaction(async (tx) => {
        const bumped = await tx.query<{ last_event_seq: number }>(
          'UPDATE runs SET last_event_seq = last_event_seq + 1 WHERE id = ? RETURNING last_event_seq',
          [runId],
        );
        if (!bumped[0]) throw new NotFoundError(`No run ${runId}.`);
        const seq = Number(bumped[0].last_event_seq);
        await tx.run('INSERT INTO events (run_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)', [runId, seq, toMs(at), type, dataJson]);
        return { runId, seq, at: new Date(toMs(at)), type, data: JSON.parse(dataJson) as Record<string, unknown> };
      });
    },

    /** Events after `afterSeq` (default: all), in order. */
    async getEvents(runId: string, afterSeq = 0): Promise<RunEvent[]> {
      const rows = await db.query<EventRow>(
        'SELECT run_id, seq, at, type, data FROM events WHERE run_id = ? AND seq > ? ORDER BY seq',
        [runId, afterSeq],
      );
      return rows.map(eventFromRow);
    },
  };
}

export type JournalQueries = ReturnType<typeof journalQueries>;
