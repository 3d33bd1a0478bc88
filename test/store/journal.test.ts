import { expect, test } from 'vitest';
import type { Step } from '../../src/domain/run.ts';
import { NotFoundError } from '../../src/errors.ts';
import { describeStore, newRun } from './harness.ts';

function step(runId: string, name: string, overrides: Partial<Step> = {}): Step {
  return { runId, name, state: 'pending', startedAt: null, finishedAt: null, outputs: {}, error: null, ...overrides };
}

describeStore('steps and events', (ctx) => {
  test('steps read back in the order first saved, with updates applied in place', async () => {
    const run = await ctx.store.createRun(newRun());
    await ctx.store.upsertStep(step(run.id, 'prepare-tests'));
    await ctx.store.upsertStep(step(run.id, 'launch'));
    await ctx.store.upsertStep(step(run.id, 'open-ssh'));
    const done = step(run.id, 'prepare-tests', {
      state: 'succeeded',
      startedAt: new Date('2026-11-21T10:00:00.100Z'),
      finishedAt: new Date('2026-11-21T10:01:30.900Z'),
      outputs: { image: 'runner:abc', cached: true, sizes: [1, 2] },
    });
    await ctx.store.upsertStep(done);
    await ctx.store.upsertStep(step(run.id, 'launch', { state: 'failed', error: 'InsufficientInstanceCapacity' }));

    const steps = await ctx.store.getSteps(run.id);
    expect(steps.map((s) => s.name)).toEqual(['prepare-tests', 'launch', 'open-ssh']);
    expect(steps[0]).toEqual(done);
    expect(steps[1]).toMatchObject({ state: 'failed', error: 'InsufficientInstanceCapacity' });
    expect(await ctx.store.getStep(run.id, 'launch')).toEqual(steps[1]);
    expect(await ctx.store.getStep(run.id, 'teardown')).toBeNull();
  });

  test('step history: the succeeded steps of the environment\'s most recently finished runs, newest run first', async () => {
    const at = (min: number) => new Date(Date.UTC(2026, 10, 21, 10, min));
    const runs = [];
    for (let i = 0; i < 3; i++) {
      const run = await ctx.store.createRun(newRun({ env: 'stg3' }));
      await ctx.store.upsertStep(step(run.id, 'launch', { state: 'succeeded', startedAt: at(i * 10), finishedAt: at(i * 10 + 1 + i) }));
      await ctx.store.upsertStep(step(run.id, 'tests', { state: i === 1 ? 'failed' : 'succeeded', startedAt: at(i * 10 + 3), finishedAt: at(i * 10 + 5) }));
      await ctx.store.updateRun(run.id, { finishedAt: at(i * 10 + 9) });
      runs.push(run);
    }
    // Not finished, or another environment: not history.
    const going = await ctx.store.createRun(newRun({ env: 'stg3' }));
    await ctx.store.upsertStep(step(going.id, 'launch', { state: 'succeeded', startedAt: at(50), finishedAt: at(59) }));
    const other = await ctx.store.createRun(newRun({ env: 'stg2' }));
    await ctx.store.upsertStep(step(other.id, 'launch', { state: 'succeeded', startedAt: at(0), finishedAt: at(30) }));
    await ctx.store.updateRun(other.id, { finishedAt: at(31) });

    expect(await ctx.store.stepHistory('stg3')).toEqual([
      { runId: runs[2]!.id, name: 'launch', durationMs: 3 * 60_000 },
      { runId: runs[2]!.id, name: 'tests', durationMs: 2 * 60_000 },
      { runId: runs[1]!.id, name: 'launch', durationMs: 2 * 60_000 },
      { runId: runs[0]!.id, name: 'launch', durationMs: 60_000 },
      { runId: runs[0]!.id, name: 'tests', durationMs: 2 * 60_000 },
    ]);
    expect((await ctx.store.stepHistory('stg3', 1)).map((r) => r.runId)).toEqual([runs[2]!.id, runs[2]!.id]);
  });

  test('steps of different runs do not mix', async () => {
    const a = await ctx.store.createRun(newRun());
    const b = await ctx.store.createRun(newRun());
    await ctx.store.upsertStep(step(a.id, 'launch'));
    await ctx.store.upsertStep(step(b.id, 'tests'));
    expect((await ctx.store.getSteps(a.id)).map((s) => s.name)).toEqual(['launch']);
    expect((await ctx.store.getSteps(b.id)).map((s) => s.name)).toEqual(['tests']);
  });

  test('event sequence numbers count up per run, and getEvents pages after a seq', async () => {
    const a = await ctx.store.createRun(newRun());
    const b = await ctx.store.createRun(newRun());
    const at = new Date('2026-11-21T10:00:00.250Z');
    const first = await ctx.store.appendEvent(a.id, 'run.started', { env: 'stg4' }, at);
    expect(first).toEqual({ runId: a.id, seq: 1, at, type: 'run.started', data: { env: 'stg4' } });
    await ctx.store.appendEvent(b.id, 'run.started', {}, at);
    await ctx.store.appendEvent(a.id, 'step.started', { step: 'launch' }, at);
    const third = await ctx.store.appendEvent(a.id, 'step.finished', { step: 'launch', ms: 61_000 }, at);
    expect(third.seq).toBe(3);

    const events = await ctx.store.getEvents(a.id);
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, 'run.started'],
      [2, 'step.started'],
      [3, 'step.finished'],
    ]);
    expect(events[2]).toEqual(third);
    expect((await ctx.store.getEvents(a.id, 2)).map((e) => e.seq)).toEqual([3]);
    expect((await ctx.store.getEvents(b.id)).map((e) => e.seq)).toEqual([1]);
  });

  test('concurrent appends from two replicas get distinct, gapless sequence numbers', async () => {
    const other = await ctx.open();
    const run = await ctx.store.createRun(newRun());
    const events = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? other : ctx.store).appendEvent(run.id, 'tick', { i })),
    );
    expect(events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const saved = await ctx.store.getEvents(run.id);
    expect(saved.map((e) => e.data['i']).sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  test('an event for an unknown run is NotFoundError and leaves nothing behind', async () => {
    await expect(ctx.store.appendEvent('missing', 'x', {})).rejects.toBeInstanceOf(NotFoundError);
    expect(await ctx.store.getEvents('missing')).toEqual([]);
  });
});
