// Fencing (issue 10.2): a driver that was paused past its lease (a VM or GC pause, a frozen container,
// a sleeping laptop) while another engine adopted and finished its run wakes up and makes no change to
// AWS — not one mutating call — nor to the run's record. The pause here is in-process and controlled:
// the paused engine's clock (its waits) or a step boundary blocks on a gate while the test moves time.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../src/aws/clients.ts';
import { fencedAwsClients } from '../../../src/aws/fenced-clients.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import { heartbeatEveryMs, type Engine } from '../../../src/pipeline/engine.ts';
import { createWorld, useWorlds, waitForEnd, waitForState, type TestClock, type World } from './harness.ts';

const world = useWorlds(createWorld);

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  let arrived!: () => void;
  const reached = new Promise<void>((r) => (arrived = r));
  return { opened, open, reached, arrived };
}

/** Mutating AWS calls that reached AWS through these clients (reads pass uncounted). */
function countingAws(aws: AwsClients): { aws: AwsClients; mutations: string[] } {
  const mutations: string[] = [];
  // The fenced wrapper with a check that only counts: what passes the driver's own fence is what reaches AWS.
  return { mutations, aws: fencedAwsClients(aws, async (operation) => void mutations.push(operation)) };
}

/** A clock over the world's whose sleeps block while `paused` is set (the process is stopped). */
function pausableClock(base: TestClock) {
  const state = { pause: null as ReturnType<typeof gate> | null };
  const clock = {
    now: () => base.now(),
    sleep: async (ms: number, signal?: AbortSignal) => {
      const p = state.pause;
      if (p) {
        p.arrived();
        await p.opened;
      }
      return base.sleep(ms, signal);
    },
  };
  return { clock, pauseNextSleep: () => (state.pause = gate()), state };
}

function logLines() {
  const stream = new PassThrough();
  const lines: { msg: string; [k: string]: unknown }[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line));
  });
  return { logger: createLogger({ destination: stream, level: 'info' }), lines };
}

async function settled(engine: Engine, runId: string): Promise<void> {
  for (let i = 0; i < 500 && engine.drives(runId); i++) await new Promise((r) => setTimeout(r, 10));
  expect(engine.drives(runId)).toBe(false);
}

async function adoptAndFinish(w: World, stale: Engine, runId: string): Promise<{ adopter: Engine; logs: ReturnType<typeof logLines>; metrics: ReturnType<typeof createMetrics> }> {
  w.clock.advance(w.config.runs.leaseTtl + 1_000);
  const logs = logLines();
  const metrics = createMetrics({ defaultMetrics: false });
  const adopter = w.engine({ logger: logs.logger, metrics });
  await adopter.tick();
  const run = await waitForEnd(adopter, runId);
  expect(run.state).toBe('failed');
  expect(run.error).toMatch(new RegExp(`interrupted: its process \\(${stale.ownerId}\\) stopped`));
  expect(w.live(runId)).toEqual([]);
  return { adopter, logs, metrics };
}

describe('fencing', () => {
  it('a driver paused in a wait past its lease wakes after another engine adopted and finished its run: 0 AWS mutations, no record written', async () => {
    const w = await world();
    const counted = countingAws(w.aws);
    const paused = pausableClock(w.clock);
    const logs = logLines();
    const metrics = createMetrics({ defaultMetrics: false });
    const stale = w.engine({ aws: counted.aws, clock: paused.clock, logger: logs.logger, metrics });
    const { run } = await stale.launch(w.request());
    // Paused in launch's wait for the instance to run, right after RunInstances.
    const pause = paused.pauseNextSleep();
    await pause.reached;
    expect(counted.mutations).toContain('RunInstances');
    const before = counted.mutations.length;

    const { adopter, logs: adopterLogs, metrics: adopterMetrics } = await adoptAndFinish(w, stale, run.id);
    const stepsAfterAdoption = await w.store.getSteps(run.id);
    const eventsAfterAdoption = (await w.timeline(run.id)).length;

    paused.state.pause = null;
    pause.open();
    await settled(stale, run.id);
    await stale.flush();

    expect(counted.mutations.slice(before)).toEqual([]);
    expect(await w.store.getSteps(run.id)).toEqual(stepsAfterAdoption);
    expect((await w.timeline(run.id)).length).toBe(eventsAfterAdoption);
    expect(await w.store.getRun(run.id)).toMatchObject({ state: 'failed', leaseOwner: null });
    expect(w.live(run.id)).toEqual([]);
    // The step that was running when its process stopped ends as interrupted.
    expect((await w.store.getStep(run.id, 'launch'))?.state).toBe('interrupted');
    // Logged and counted on both sides.
    expect(logs.lines.some((l) => /fenced/.test(l.msg) && l.runId === run.id)).toBe(true);
    expect((await metrics.runRecoveries.get()).values).toEqual([expect.objectContaining({ labels: { event: 'fenced' }, value: 1 })]);
    expect(adopterLogs.lines.some((l) => l.msg.startsWith(`run ${run.id} adopted (teardown)`) && l.previousOwner === stale.ownerId)).toBe(true);
    expect((await adopterMetrics.runRecoveries.get()).values).toEqual([expect.objectContaining({ labels: { event: 'adopted' }, value: 1 })]);
    expect(adopter.drives(run.id)).toBe(false);
  });

  it('a driver paused at a step boundary wakes fenced before it records or creates anything', async () => {
    const w = await world();
    const counted = countingAws(w.aws);
    const pause = gate();
    const stale = w.engine({
      aws: counted.aws,
      beforeStep: async (_runId, step) => {
        if (step !== 'open-ssh') return;
        pause.arrived();
        await pause.opened;
      },
    });
    const { run } = await stale.launch(w.request());
    await pause.reached;
    const before = counted.mutations.length;
    await adoptAndFinish(w, stale, run.id);
    pause.open();
    await settled(stale, run.id);
    expect(counted.mutations.slice(before)).toEqual([]);
    expect(counted.mutations).not.toContain('AuthorizeSecurityGroupIngress');
    expect((await w.store.getStep(run.id, 'open-ssh'))?.state ?? 'pending').toBe('pending');
    expect(w.live(run.id)).toEqual([]);
  });

  it('a run whose owner still beats is not adopted, even with its run lease lapsed', async () => {
    const w = await world();
    const pause = gate();
    const owner = w.engine({
      beforeStep: async (_runId, step) => {
        if (step !== 'register') return;
        pause.arrived();
        await pause.opened;
      },
    });
    const { run } = await owner.launch(w.request());
    await pause.reached;
    w.clock.advance(w.config.runs.leaseTtl + 1_000);
    // Its process beats (its own row), though this run's lease went stale.
    await w.store.replicaHeartbeat(owner.ownerId, 'server', w.clock.now());
    const other = w.engine();
    await other.tick();
    expect(other.drives(run.id)).toBe(false);
    expect((await w.store.getRun(run.id))!.leaseOwner).toBe(owner.ownerId);
    pause.open();
    expect((await waitForEnd(owner, run.id)).state).toBe('succeeded');
  });

  it('the heartbeat runs at a third of the lease TTL or faster, with no floor above that', () => {
    for (const ttl of [3_000, 4_500, 10_000, 60_000, 120_000, 3_600_000]) {
      expect(heartbeatEveryMs(ttl)).toBeLessThanOrEqual(ttl / 3);
      expect(heartbeatEveryMs(ttl)).toBeGreaterThan(0);
    }
    expect(heartbeatEveryMs(3_000)).toBe(1_000);
  });

  it('a stale driver that gets past the fence mid-teardown cannot finish the run over its new owner', async () => {
    const w = await world();
    const stale = w.engine();
    const { run } = await stale.launch(w.request());
    await waitForState(w.store, run.id, ['running']);
    // Another engine takes the lease (as an adoption would) while the stale one still drives.
    w.clock.advance(w.config.runs.leaseTtl + 1_000);
    expect(await w.store.acquireLease(run.id, 'another-engine', w.clock.now(), w.config.runs.leaseTtl)).toBe(true);
    await settled(stale, run.id);
    const after = await w.store.getRun(run.id);
    expect(after).toMatchObject({ state: 'running', leaseOwner: 'another-engine' });
  });
});
