// The queue and the environment locks, through the engine and the command runner.
import { describe, expect, it, vi } from 'vitest';
import { parseText } from '../../../src/commands/index.ts';
import { CommandExecutor, type Actor, type CommandResult } from '../../../src/commands/executor.ts';
import type { EngineEvent } from '../../../src/pipeline/events.ts';
import { createWorld, fakeTestRunner, nextEvent, REQUESTER, useWorlds, waitForEnd, waitForState, type World } from './harness.ts';

const world = useWorlds(createWorld);

const platform: Actor = { requester: 'slack:U0PLATFORM', source: 'slack', admin: false };

function command(w: World, text: string) {
  return parseText(text, { environments: w.envs.map((e) => e.name), browsers: Object.keys(w.config.browsers) });
}

function environments(result: CommandResult) {
  if (result.kind !== 'environments') throw new Error(`expected environments, got ${result.kind}`);
  return result;
}

describe('queue and locks', () => {
  it('queues the second of two concurrent pool launches on a pool of one, and starts it when the first is done', async () => {
    // Slow enough browsers that the first run is surely still going when the second arrives.
    const w = await world({ testRunner: fakeTestRunner({ ms: 100 }) });
    const engine = w.engine();
    const only = w.envs[0]!.name;
    const req = w.request({ env: null, pool: [only] });

    const launched = await Promise.all([engine.launch(req), engine.launch(req)]);
    const positions = launched.map((l) => l.position);
    expect(positions.filter((p) => p === null)).toHaveLength(1);
    expect(positions.filter((p) => p === 1)).toHaveLength(1);
    const first = launched.find((l) => l.position === null)!.run;
    const second = launched.find((l) => l.position === 1)!.run;
    expect(first.state).toBe('running');
    expect(second.state).toBe('queued');
    expect(w.eventsOf(second.id, 'run.queued').map((e) => (e as Extract<EngineEvent, { type: 'run.queued' }>).position)).toEqual([1]);
    expect(w.eventsOf(first.id, 'run.queued')).toEqual([]);

    // While the first runs, its environment stays locked to it and the second waits.
    await waitForState(w.store, first.id, ['running']);
    expect((await w.store.getLock(only))?.holder).toBe(first.id);
    expect((await w.store.getRun(second.id))!.state).toBe('queued');

    const a = await waitForEnd(engine, first.id);
    const b = await waitForEnd(engine, second.id);
    expect([a.state, b.state]).toEqual(['succeeded', 'succeeded']);
    expect([a.env, b.env]).toEqual([only, only]);
    // Never two runs on one environment: the second started after the first let go.
    expect(b.startedAt!.getTime()).toBeGreaterThanOrEqual(a.finishedAt!.getTime());
    const order = w.events.filter((e) => e.type === 'run.started' || e.type === 'run.finished').map((e) => `${e.type}:${e.runId}`);
    expect(order).toEqual([`run.started:${first.id}`, `run.finished:${first.id}`, `run.started:${second.id}`, `run.finished:${second.id}`]);
    expect(await w.store.getLock(only)).toBeNull();
    expect(w.live(first.id)).toEqual([]);
    expect(w.live(second.id)).toEqual([]);
  });

  it('a manual lock blocks launches of its environment until unlocked, and `list` shows who holds it and why', async () => {
    const w = await world();
    const engine = w.engine();
    const runner = new CommandExecutor({ engine, store: w.store });
    const env = w.envs[1]!.name;

    const locked = await runner.execute(command(w, `lock ${env} --reason="db migration test"`), platform);
    expect(locked.kind).toBe('locked');

    const launched = await runner.execute(command(w, `launch ${env} --browsers=chrome`), { requester: 'slack:U0QA', source: 'slack', admin: false });
    if (launched.kind !== 'launched') throw new Error(`expected launched, got ${launched.kind}`);
    expect(launched.position).toBe(1);
    expect(launched.run.state).toBe('queued');
    expect(w.eventsOf(launched.run.id, 'run.queued')).toHaveLength(1);

    const list = environments(await runner.execute(command(w, 'list'), platform));
    const view = list.environments.find((e) => e.env === env)!;
    expect(view.lock).toMatchObject({ holder: 'slack:U0PLATFORM', holderKind: 'person', reason: 'db migration test', sticky: true });
    expect(view.run).toBeNull();
    expect(list.environments.find((e) => e.env === w.envs[0]!.name)!.lock).toBeNull();
    expect(list.queue.map((r) => r.id)).toEqual([launched.run.id]);

    // Ticks while it is locked change nothing.
    await engine.tick();
    expect((await w.store.getRun(launched.run.id))!.state).toBe('queued');
    expect(w.cloud.callCount('RunInstances')).toBe(0);

    const unlocked = await runner.execute(command(w, `unlock ${env}`), platform);
    expect(unlocked.kind).toBe('unlocked');
    await engine.tick();
    const during = environments(await runner.execute(command(w, 'list'), platform)).environments.find((e) => e.env === env)!;
    expect(during.lock).toMatchObject({ holder: launched.run.id, holderKind: 'run' });
    const done = await waitForEnd(engine, launched.run.id);
    expect(done.state).toBe('succeeded');
    expect(done.env).toBe(env);
    expect(w.live(done.id)).toEqual([]);
    const after = environments(await runner.execute(command(w, 'list'), platform));
    expect(after.environments.find((e) => e.env === env)!.lock).toBeNull();
    expect(after.queue).toEqual([]);
  });

  it('a short-lived engine (the CLI) starts its own queued run once the environment frees up, and sees it end', async () => {
    const w = await world();
    const only = w.envs[0]!.name;
    await w.store.claimLock({ env: only, holder: 'slack:U0OTHER', holderKind: 'person', reason: 'db migration', sticky: true, since: w.clock.now() });
    const cli = w.engine({ background: false, tickMs: 20 });
    const { run, position } = await cli.launch(w.request({ env: only }));
    expect(position).toBe(1);
    const ended = cli.waitForRun(run.id);
    await new Promise((r) => setTimeout(r, 100));
    expect((await w.store.getRun(run.id))!.state).toBe('queued');

    expect(await w.store.releaseLock(only, 'slack:U0OTHER')).toBe(true);
    const finished = await ended;
    expect(finished.state).toBe('succeeded');
    expect(finished.env).toBe(only);
    expect(w.live(run.id)).toEqual([]);
  });

  it('a queued launch names the lock it waits for (holder, reason, since); an unlock on any replica starts it at once, before any tick', async () => {
    const w = await world();
    // Ticks an hour apart: after start()'s first one, nothing but the unlock can start the run.
    const a = w.engine({ tickMs: 3_600_000 });
    const b = w.engine({ tickMs: 3_600_000, store: await w.database.open() });
    await Promise.all([a.start(), b.start()]);
    const ticks = [vi.spyOn(a, 'tick'), vi.spyOn(b, 'tick')];
    const onA = new CommandExecutor({ engine: a, store: w.store });
    const onB = new CommandExecutor({ engine: b, store: w.store });
    const env = w.envs[1]!.name;

    await onB.execute(command(w, `lock ${env} --reason="db migration test"`), platform);
    const launched = await onA.execute(command(w, `launch ${env} --browsers=chrome`), { requester: 'slack:U0QA', source: 'slack', admin: false });
    if (launched.kind !== 'launched') throw new Error(`expected launched, got ${launched.kind}`);
    expect(launched.position).toBe(1);
    const view = await onA.view(launched.run.id);
    expect(view.waitingFor).toEqual([{ env, holder: 'slack:U0PLATFORM', holderKind: 'person', reason: 'db migration test', sticky: true, since: expect.any(Date) }]);
    expect(view.waitingFor[0]!.since.getTime()).toBeLessThanOrEqual(launched.run.createdAt.getTime());

    // Unlocked through the other replica: that one starts (and drives) the run, with no tick on either.
    const startedOnB = nextEvent(b, (e) => e.type === 'run.started' && e.runId === launched.run.id);
    await onB.execute(command(w, `unlock ${env}`), platform);
    await startedOnB;
    expect((await waitForEnd(b, launched.run.id)).state).toBe('succeeded');
    for (const tick of ticks) expect(tick).not.toHaveBeenCalled();
    expect((await onA.view(launched.run.id)).waitingFor).toEqual([]);
  });

  it('a teardown of a kept run, and a run that finishes, start the next queued run of their environment at once, before any tick', async () => {
    const w = await world();
    const engine = w.engine({ tickMs: 3_600_000 });
    await engine.start();
    const tick = vi.spyOn(engine, 'tick');
    const runner = new CommandExecutor({ engine, store: w.store });
    const env = w.envs[0]!.name;

    const kept = await waitForEnd(engine, (await engine.launch(w.request({ env, keepMs: 3_600_000 }))).run.id);
    expect(kept.state).toBe('kept');
    const second = await engine.launch(w.request({ env }));
    expect(second.position).toBe(1);
    // The queue's order is its runs' creation time (then their random ids): a millisecond apart, as two people's launches are.
    w.clock.advance(1);
    const third = await engine.launch(w.request({ env }));
    expect(third.position).toBe(2);
    expect((await runner.view(second.run.id)).waitingFor).toMatchObject([{ env, holder: kept.id, holderKind: 'run' }]);

    await runner.execute(command(w, `teardown ${kept.id}`), { requester: REQUESTER, source: 'slack', admin: false });
    // The teardown frees the environment: the second starts; its end starts the third.
    expect((await waitForEnd(engine, second.run.id)).state).toBe('succeeded');
    expect((await waitForEnd(engine, third.run.id)).state).toBe('succeeded');
    const done = (await w.store.getRun(kept.id))!;
    expect(done.state).toBe('succeeded');
    expect((await w.store.getRun(second.run.id))!.startedAt!.getTime()).toBeGreaterThanOrEqual(done.finishedAt!.getTime());
    expect(tick).not.toHaveBeenCalled();
  });
});
