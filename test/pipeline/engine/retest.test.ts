// Issue 14, retest without relaunch: a kept run's tests run again on its environment, with the same
// per-browser users and reporting, its expiry moved out by the tests' bound; refused when it is gone.
import { expect, it } from 'vitest';
import { formatTagTime, TAG } from '../../../src/aws/tags.ts';
import { CommandExecutor } from '../../../src/commands/executor.ts';
import type { TestsOutputs } from '../../../src/pipeline/step-outputs.ts';
import { crashEngine, createWorld, fakeTestRunner, launchAndWait, REQUESTER, useWorlds, waitForEnd, type World } from './harness.ts';

async function expectNothingLeft(w: World, runId: string): Promise<void> {
  expect(w.live(runId)).toEqual([]);
  expect((await w.store.getAssets(runId)).filter((a) => a.deletedAt === null)).toEqual([]);
  expect(await w.store.getLock(w.envs[0]!.name)).toBeNull();
}

const world = useWorlds(createWorld);
const HOUR = 3_600_000;
const actor = { requester: REQUESTER as `slack:${string}`, source: 'slack' as const, admin: false };

it('retests a kept run on its environment: the browsers asked, the grep passed on as data, results merged, expiry moved out', async () => {
  const runner = fakeTestRunner({ results: { firefox: { outcome: 'failed', failed: 2, passed: 10 } } });
  const w = await world();
  const engine = w.engine({ testRunner: runner });
  const commands = new CommandExecutor({ engine, store: w.store });
  const kept = await launchAndWait(engine, w.request({ browsers: ['chrome', 'firefox'], keepMs: 2 * HOUR }));
  expect(kept.state).toBe('kept');
  expect(kept.error).toContain('firefox');
  const firstJobs = runner.jobs.length;

  const grep = `checkout "flow"; $(rm -rf /) \`x\``;
  const result = await commands.execute({ verb: 'retest', run: kept.id, browsers: ['firefox'], grep }, actor);
  expect(result.kind).toBe('run');
  const after = await waitForEnd(engine, kept.id);
  expect(after.state).toBe('kept');
  // Only firefox ran again, with the run's own job (user, project, URL) and the pattern as a value.
  const jobs = runner.jobs.slice(firstJobs);
  expect(jobs.map((j) => j.browser)).toEqual(['firefox']);
  expect(jobs[0]).toMatchObject({ grep, runId: kept.id, project: runner.jobs[1]!.project, baseUrl: runner.jobs[1]!.baseUrl, testUser: runner.jobs[1]!.testUser });
  // Its expiry moved out by tests.maxWait, tags included (the sweeper and the switch follow the tags).
  expect(after.expiresAt!.getTime()).toBe(kept.expiresAt!.getTime() + w.config.tests.maxWait);
  for (const a of w.live(kept.id).filter((x) => x.kind !== 'target')) expect(w.cloud.tagsOf(a.id)![TAG.expiresAt], a.kind).toBe(formatTagTime(after.expiresAt!));
  // chrome's result kept from the first tests, firefox's from the retest; the run still says firefox failed.
  const tests = (await w.store.getStep(kept.id, 'tests'))!.outputs as unknown as TestsOutputs;
  expect(tests.results.map((r) => r.browser).sort()).toEqual(['chrome', 'firefox']);
  expect(after.error).toContain('firefox');
  expect(w.eventsOf(kept.id, 'run.retest')).toMatchObject([{ by: REQUESTER, browsers: ['firefox'], grep }]);
  // Nothing was launched again: the same instance.
  expect(w.live(kept.id).filter((a) => a.kind === 'instance')).toHaveLength(1);

  await engine.teardown(kept.id, REQUESTER);
  await waitForEnd(engine, kept.id);
  await expectNothingLeft(w, kept.id);
});

it('refuses, in one line and changing nothing, a run that is not kept or whose environment is gone', async () => {
  const w = await world();
  const engine = w.engine();
  const commands = new CommandExecutor({ engine, store: w.store });
  const done = await launchAndWait(engine, w.request());
  await expect(commands.execute({ verb: 'retest', run: done.id, browsers: null, grep: null }, actor)).rejects.toThrow(
    `run ${done.id} is succeeded: its environment is gone; \`launch ${done.env} --keep\` starts a new one`,
  );
  await expect(commands.execute({ verb: 'retest', run: 'stg1-20261121-000000', browsers: null, grep: null }, actor)).rejects.toThrow('no run stg1-20261121-000000');

  const kept = await launchAndWait(engine, w.request({ keepMs: HOUR }));
  // Its instance gone behind stagebot's back (the sweeper, a person): refused, not retested against nothing.
  const instance = (await w.store.getAssets(kept.id)).find((a) => a.kind === 'instance')!;
  await w.store.markAssetDeleted('instance', instance.id, w.clock.now());
  const before = (await w.store.getRun(kept.id))!;
  await expect(engine.retest(kept.id, { browsers: null, grep: null }, REQUESTER)).rejects.toThrow(`run ${kept.id} has no instance up any more: its environment is gone`);
  expect((await w.store.getRun(kept.id))!.expiresAt).toEqual(before.expiresAt);
  expect(w.eventsOf(kept.id, 'run.retest')).toEqual([]);
  // Someone else's run: only admins.
  await expect(commands.execute({ verb: 'retest', run: kept.id, browsers: null, grep: null }, { ...actor, requester: 'slack:U0OTHER' as const })).rejects.toThrow('only admins may retest');
  await engine.teardown(kept.id, REQUESTER);
  await waitForEnd(engine, kept.id);
});

it('one retest at a time; a teardown during a retest stops it and tears the environment down', async () => {
  const w = await world();
  const slow = fakeTestRunner({ ms: 60_000 });
  const engine = w.engine({ testRunner: slow });
  const fast = w.engine();
  const kept = await launchAndWait(fast, w.request({ keepMs: HOUR }));
  await engine.retest(kept.id, { browsers: null, grep: null }, REQUESTER);
  await expect(engine.retest(kept.id, { browsers: null, grep: null }, REQUESTER)).rejects.toThrow(`run ${kept.id} is busy (a retest or its teardown is going)`);
  // Another replica cannot take it either (the lease), nor tear it down for its expiry meanwhile.
  await expect(fast.retest(kept.id, { browsers: null, grep: null }, REQUESTER)).rejects.toThrow('is busy');
  for (let i = 0; i < 200 && slow.jobs.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  await engine.teardown(kept.id, REQUESTER);
  const ended = await waitForEnd(engine, kept.id);
  expect(ended.state).toBe('cancelled');
  await expectNothingLeft(w, kept.id);
});

/** A kept run whose retest's engine dies (kill -9) while the tests run; the clock is not moved yet. */
async function crashMidRetest() {
  const w = await world();
  const slow = fakeTestRunner({ ms: 60_000 });
  const kept = await launchAndWait(w.engine(), w.request({ keepMs: HOUR }));
  const dying = w.engine({ testRunner: slow });
  const retested = await dying.retest(kept.id, { browsers: null, grep: null }, REQUESTER);
  for (let i = 0; i < 200 && slow.jobs.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect((await w.store.getStep(kept.id, 'tests'))!.state).toBe('running');
  await crashEngine(w, dying, [kept.id], { advance: false });
  return { w, kept, dying, retested };
}

it('a crash during a retest: the adopter ends its tests step interrupted, keeps the run (same expiry) and says so', async () => {
  const { w, kept, dying, retested } = await crashMidRetest();
  w.clock.advance(w.config.runs.leaseTtl + 1_000);

  const adopter = w.engine();
  await adopter.tick();
  const tests = (await w.store.getStep(kept.id, 'tests'))!;
  expect(tests.state).toBe('interrupted');
  expect(tests.finishedAt).not.toBeNull();
  expect(tests.error).toContain(dying.ownerId);
  const after = (await w.store.getRun(kept.id))!;
  expect(after.state).toBe('kept');
  expect(after.expiresAt).toEqual(retested.expiresAt);
  expect(after.error).toMatch(/^retest interrupted: /);
  expect(after.leaseOwner).toBeNull();
  expect(w.live(kept.id).some((a) => a.kind === 'instance')).toBe(true);
  expect(w.eventsOf(kept.id, 'run.retest-interrupted')).toMatchObject([{ until: retested.expiresAt!.toISOString() }]);
  // Told once, not at every tick; and the environment takes a new retest.
  await adopter.tick();
  expect(w.eventsOf(kept.id, 'run.retest-interrupted')).toHaveLength(1);
  await adopter.retest(kept.id, { browsers: null, grep: null }, REQUESTER);
  const again = await waitForEnd(adopter, kept.id);
  expect(again.state).toBe('kept');
  expect(again.error).toBeNull();
  expect((await w.store.getStep(kept.id, 'tests'))!.state).toBe('succeeded');
  await adopter.teardown(kept.id, REQUESTER);
  await waitForEnd(adopter, kept.id);
  await expectNothingLeft(w, kept.id);
});

it('a crashed retest whose keep time has run out too: the tests step ends interrupted, then the environment is torn down', async () => {
  const { w, kept, retested } = await crashMidRetest();
  w.clock.advance(retested.expiresAt!.getTime() - w.clock.now().getTime() + 1_000);

  const adopter = w.engine();
  await adopter.tick();
  const ended = await waitForEnd(adopter, kept.id);
  expect(ended.state).toBe('succeeded');
  expect((await w.store.getStep(kept.id, 'tests'))!.state).toBe('interrupted');
  await expectNothingLeft(w, kept.id);
});
