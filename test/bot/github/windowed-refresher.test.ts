import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { WindowedRefresher } from '../../../src/bot/github/windowed-refresher.ts';

describe('WindowedRefresher', () => {
  it('merges requests within the window into one call per key', async () => {
    const calls: string[] = [];
    const c = new WindowedRefresher(20, async (key) => void calls.push(key), () => undefined);
    for (let i = 0; i < 50; i++) c.schedule('a');
    c.schedule('b');
    await delay(60);
    expect(calls.sort()).toEqual(['a', 'b']);
  });

  it('runs once more after a call when asked during it, so the last state is never lost', async () => {
    let seen = 0;
    let state = 0;
    let release!: () => void;
    const c = new WindowedRefresher(1, async () => {
      if (seen === 0) await new Promise<void>((r) => (release = r));
      seen = state;
    }, () => undefined);
    state = 1;
    c.schedule('run');
    await delay(10);
    state = 2;
    c.schedule('run');
    c.schedule('run');
    release();
    await c.flush();
    expect(seen).toBe(2);
    expect(c.pending).toBe(0);
  });

  it('flush runs waiting work at once, and reports errors without stopping', async () => {
    const errors: string[] = [];
    let done = 0;
    const c = new WindowedRefresher(60_000, async (key) => {
      if (key === 'bad') throw new Error('boom');
      done++;
    }, (key) => errors.push(key));
    c.schedule('good');
    c.schedule('bad');
    // Waiting out the 60 s interval would outlast the test.
    await c.flush();
    expect(done).toBe(1);
    expect(errors).toEqual(['bad']);
  });
});
