import { describe, expect, it } from 'vitest';
import { estimateQueueWait, queueEtas } from '../../src/pipeline/queue-eta.ts';
import { againstUsual, NO_HISTORY, remainingRunMs, stepHistoryOf, typicalRunMs } from '../../src/pipeline/step-history.ts';

const MIN = 60_000;

describe('estimateQueueWait', () => {
  it('p50 of recent runs, minus what the current run has done, plus one p50 per run ahead', () => {
    const recent = [10 * MIN, 12 * MIN, 8 * MIN, 30 * MIN, 9 * MIN];
    expect(estimateQueueWait({ position: 1, recentDurationsMs: recent, currentElapsedMs: 4 * MIN, heldByPerson: false })).toBe(6 * MIN);
    expect(estimateQueueWait({ position: 3, recentDurationsMs: recent, currentElapsedMs: 4 * MIN, heldByPerson: false })).toBe(26 * MIN);
    // A current run past the median: the next one starts "any moment", not in negative time.
    expect(estimateQueueWait({ position: 1, recentDurationsMs: recent, currentElapsedMs: 20 * MIN, heldByPerson: false })).toBe(0);
  });

  it('no history, or a person holding the environment: no estimate', () => {
    expect(estimateQueueWait({ position: 1, recentDurationsMs: [], currentElapsedMs: null, heldByPerson: false })).toBeNull();
    expect(estimateQueueWait({ position: 1, recentDurationsMs: [MIN], currentElapsedMs: null, heldByPerson: true })).toBeNull();
  });
});

// Formerly the dashboard's own estimate (src/web/dashboard/eta.ts): one model now serves every front.
describe('queueEtas', () => {
  it('queued runs take the environment in turn; a pool run the first one free; a person\'s lock means no telling', () => {
    // stg1's current run is 10 min into a usual 40; stg2 is locked by a person.
    const envs = [
      { env: 'stg1', heldByPerson: false, freeInMs: 30 * MIN, typicalMs: 40 * MIN },
      { env: 'stg2', heldByPerson: true, freeInMs: 0, typicalMs: 40 * MIN },
    ];
    const q = (id: string, env: string | null, keepMs = 0) => ({ id, env, pool: ['stg1', 'stg2'], keepMs });
    const etas = queueEtas(envs, [q('q1', 'stg1'), q('q2', 'stg1'), q('q3', null), q('q4', 'stg2')]);
    expect(etas.get('q1')).toBe(30 * MIN);
    expect(etas.get('q2')).toBe(70 * MIN);
    expect(etas.get('q3')).toBe(110 * MIN);
    expect(etas.get('q4')).toBeNull();
    const none = queueEtas(envs.map((e) => ({ ...e, freeInMs: null, typicalMs: null })), [q('q1', 'stg1'), q('q2', 'stg1')]);
    expect([...none.values()]).toEqual([null, null]);
  });

  it('a run ahead that keeps its environment holds it for its keep too', () => {
    const envs = [{ env: 'stg1', heldByPerson: false, freeInMs: 0, typicalMs: 20 * MIN }];
    const etas = queueEtas(envs, [{ id: 'a', env: 'stg1', pool: [], keepMs: 60 * MIN }, { id: 'b', env: 'stg1', pool: [], keepMs: 0 }]);
    expect(etas.get('a')).toBe(0);
    expect(etas.get('b')).toBe(80 * MIN);
  });
});

describe('step history', () => {
  const rows = [
    ...['r1', 'r2', 'r3'].flatMap((runId, i) => [
      { runId, name: 'prepare-tests', durationMs: 2 * MIN },
      { runId, name: 'launch', durationMs: (1 + i) * MIN },
      { runId, name: 'service-update', durationMs: [20, 30, 40][i]! * MIN },
      { runId, name: 'tests', durationMs: 10 * MIN },
      { runId, name: 'teardown', durationMs: 3 * MIN },
    ]),
  ];
  const names = ['prepare-tests', 'launch', 'service-update', 'tests', 'teardown'];

  it('p50 of each step over the recent runs; a run is not its own history', () => {
    const h = stepHistoryOf(rows);
    expect(h.runs).toBe(3);
    expect(h.p50.get('service-update')).toBe(30 * MIN);
    expect(h.p50.get('launch')).toBe(2 * MIN);
    expect(stepHistoryOf(rows, 'r3').p50.get('service-update')).toBe(20 * MIN);
  });

  it('a usual run: the chain\'s medians; prepare-tests runs beside the launch chain and adds nothing when shorter', () => {
    const h = stepHistoryOf(rows);
    expect(typicalRunMs(h, names)).toBe((2 + 30 + 10 + 3) * MIN);
    expect(typicalRunMs(NO_HISTORY, names)).toBeNull();
    // Half way through its tests: the rest of them, then the teardown.
    expect(remainingRunMs(h, names, new Set(['prepare-tests', 'launch', 'service-update']), { step: 'tests', elapsedMs: 4 * MIN })).toBe((6 + 3) * MIN);
  });

  it('a step more than twice its usual is flagged slow', () => {
    const h = stepHistoryOf(rows);
    expect(againstUsual(h, 'tests', 21 * MIN)).toEqual({ usualMs: 10 * MIN, slow: true });
    expect(againstUsual(h, 'tests', 19 * MIN)).toEqual({ usualMs: 10 * MIN, slow: false });
    expect(againstUsual(h, 'register', 5 * MIN)).toEqual({ usualMs: null, slow: false });
  });
});
