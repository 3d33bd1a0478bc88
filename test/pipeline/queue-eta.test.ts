import { describe, expect, it } from 'vitest';
import { estimateQueueWait } from '../../src/pipeline/queue-eta.ts';

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
