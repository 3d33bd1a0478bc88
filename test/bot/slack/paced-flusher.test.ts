import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PacedFlusher, type FlushOutcome } from '../../../src/bot/slack/paced-flusher.ts';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** A flush that records when it ran and what state it saw. */
function recorder(outcomes: (FlushOutcome | Error | undefined)[] = []) {
  const state = { value: 0 };
  const flushes: { at: number; saw: number }[] = [];
  const flush = async (_key: string) => {
    flushes.push({ at: Date.now(), saw: state.value });
    const outcome = outcomes.shift();
    if (outcome instanceof Error) throw outcome;
    return outcome;
  };
  return { state, flushes, flush };
}

describe('PacedFlusher', () => {
  it('turns a burst into one flush now and one per interval after, each seeing the latest state', async () => {
    const r = recorder();
    const c = new PacedFlusher(r.flush, { minIntervalMs: 1_000 });
    for (let i = 1; i <= 50; i++) {
      r.state.value = i;
      c.schedule('run-1');
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(2_000);
    const starts = r.flushes.map((f) => f.at - 1_000_000);
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(starts.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(1_000);
    expect(r.flushes.at(-1)!.saw).toBe(50);
  });

  it('keeps keys independent', async () => {
    const r = recorder();
    const c = new PacedFlusher(r.flush, { minIntervalMs: 1_000 });
    c.schedule('a');
    c.schedule('b');
    await vi.advanceTimersByTimeAsync(1);
    expect(r.flushes).toHaveLength(2);
  });

  it('schedules again after a flush in flight, not before the interval', async () => {
    let release!: () => void;
    const flushes: number[] = [];
    const c = new PacedFlusher(
      async () => {
        flushes.push(Date.now());
        if (flushes.length === 1) await new Promise<void>((r) => (release = r));
      },
      { minIntervalMs: 1_000 },
    );
    c.schedule('k');
    await vi.advanceTimersByTimeAsync(1);
    c.schedule('k');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(flushes).toHaveLength(1);
    release();
    await vi.advanceTimersByTimeAsync(10);
    expect(flushes).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(flushes).toHaveLength(2);
  });

  it('waits out a Retry-After before the next flush of that key', async () => {
    const r = recorder([{ retryAfterMs: 7_000 }]);
    const c = new PacedFlusher(r.flush, { minIntervalMs: 1_000 });
    c.schedule('k');
    await vi.advanceTimersByTimeAsync(1);
    c.schedule('k');
    await vi.advanceTimersByTimeAsync(6_900);
    expect(r.flushes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(r.flushes).toHaveLength(2);
    expect(r.flushes[1]!.at - r.flushes[0]!.at).toBeGreaterThanOrEqual(7_000);
  });

  it('flushes again after a Retry-After even when nothing new was scheduled', async () => {
    const r = recorder([{ retryAfterMs: 3_000 }]);
    const c = new PacedFlusher(r.flush, { minIntervalMs: 1_000 });
    c.schedule('k');
    await vi.advanceTimersByTimeAsync(3_100);
    expect(r.flushes).toHaveLength(2);
  });

  it('refreshes after againInMs, and a schedule in between comes sooner', async () => {
    const r = recorder([{ againInMs: 30_000 }, undefined]);
    const c = new PacedFlusher(r.flush, { minIntervalMs: 1_000 });
    c.schedule('k');
    await vi.advanceTimersByTimeAsync(29_000);
    expect(r.flushes).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(r.flushes).toHaveLength(2);

    const s = recorder([{ againInMs: 30_000 }]);
    const d = new PacedFlusher(s.flush, { minIntervalMs: 1_000 });
    d.schedule('k');
    await vi.advanceTimersByTimeAsync(2_000);
    d.schedule('k');
    await vi.advanceTimersByTimeAsync(1);
    expect(s.flushes).toHaveLength(2);
  });

  it('retries a failing flush more slowly each time and gives up after maxFailures', async () => {
    const errors: unknown[] = [];
    const r = recorder([new Error('a'), new Error('b'), new Error('c')]);
    const c = new PacedFlusher(r.flush, { minIntervalMs: 1_000, maxFailures: 3, onError: (_k, e) => errors.push(e) });
    c.schedule('k');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(r.flushes).toHaveLength(3);
    expect(r.flushes[1]!.at - r.flushes[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(r.flushes[2]!.at - r.flushes[1]!.at).toBeGreaterThanOrEqual(2_000);
    expect(errors).toHaveLength(3);
    // New news starts it again.
    c.schedule('k');
    await vi.advanceTimersByTimeAsync(10);
    expect(r.flushes).toHaveLength(4);
  });

  it('stop cancels what is scheduled; idle resolves when nothing is pending', async () => {
    const r = recorder();
    const c = new PacedFlusher(r.flush, { minIntervalMs: 1_000 });
    c.schedule('k');
    await vi.advanceTimersByTimeAsync(1);
    c.schedule('k');
    expect(c.pending).toBe(1);
    await c.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(r.flushes).toHaveLength(1);
    c.schedule('k');
    expect(c.pending).toBe(0);
    await c.idle();
  });
});
