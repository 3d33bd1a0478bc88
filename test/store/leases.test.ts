import { expect, test } from 'vitest';
import { describeStore, newRun } from './harness.ts';

const TTL = 30_000;
const t0 = new Date('2026-11-21T10:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describeStore('leases', (ctx) => {
  test('an unleased run can be leased; another owner cannot take it while the heartbeat is fresh', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'running' }));
    expect(await ctx.store.acquireLease(run.id, 'replica-a', t0, TTL)).toBe(true);
    expect(await ctx.store.getRun(run.id)).toMatchObject({ leaseOwner: 'replica-a', leaseHeartbeatAt: t0 });
    expect(await ctx.store.acquireLease(run.id, 'replica-b', at(TTL - 1), TTL)).toBe(false);
    expect(await ctx.store.acquireLease(run.id, 'replica-b', at(TTL), TTL)).toBe(false);
    expect((await ctx.store.getRun(run.id))!.leaseOwner).toBe('replica-a');
  });

  test('the owner may re-acquire its own lease, which renews it', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'running' }));
    await ctx.store.acquireLease(run.id, 'replica-a', t0, TTL);
    expect(await ctx.store.acquireLease(run.id, 'replica-a', at(5_000), TTL)).toBe(true);
    expect((await ctx.store.getRun(run.id))!.leaseHeartbeatAt).toEqual(at(5_000));
  });

  test('a lease whose heartbeat is older than the TTL is taken over', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'running' }));
    await ctx.store.acquireLease(run.id, 'replica-a', t0, TTL);
    expect(await ctx.store.acquireLease(run.id, 'replica-b', at(TTL + 1), TTL)).toBe(true);
    expect(await ctx.store.getRun(run.id)).toMatchObject({ leaseOwner: 'replica-b', leaseHeartbeatAt: at(TTL + 1) });
    // The old owner no longer renews it.
    expect(await ctx.store.heartbeat('replica-a', at(TTL + 2))).toBe(0);
    expect((await ctx.store.getRun(run.id))!.leaseHeartbeatAt).toEqual(at(TTL + 1));
  });

  test('heartbeat renews every run of its owner and keeps them from being taken', async () => {
    const r1 = await ctx.store.createRun(newRun({ state: 'running' }));
    const r2 = await ctx.store.createRun(newRun({ state: 'tearing_down' }));
    const r3 = await ctx.store.createRun(newRun({ state: 'running' }));
    await ctx.store.acquireLease(r1.id, 'replica-a', t0, TTL);
    await ctx.store.acquireLease(r2.id, 'replica-a', t0, TTL);
    await ctx.store.acquireLease(r3.id, 'replica-b', t0, TTL);

    expect(await ctx.store.heartbeat('replica-a', at(20_000))).toBe(2);
    expect(await ctx.store.acquireLease(r1.id, 'replica-b', at(TTL + 1), TTL)).toBe(false);
    expect(await ctx.store.acquireLease(r3.id, 'replica-a', at(TTL + 1), TTL)).toBe(true);
    expect((await ctx.store.leasedRuns('replica-a')).map((r) => r.id)).toEqual([r1.id, r2.id, r3.id]);
  });

  test('only the owner releases a lease', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'running' }));
    await ctx.store.acquireLease(run.id, 'replica-a', t0, TTL);
    expect(await ctx.store.releaseLease(run.id, 'replica-b')).toBe(false);
    expect((await ctx.store.getRun(run.id))!.leaseOwner).toBe('replica-a');
    expect(await ctx.store.releaseLease(run.id, 'replica-a')).toBe(true);
    expect(await ctx.store.getRun(run.id)).toMatchObject({ leaseOwner: null, leaseHeartbeatAt: null });
    expect(await ctx.store.acquireLease(run.id, 'replica-b', at(1), TTL)).toBe(true);
  });

  test('a finished run cannot be leased', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'succeeded' }));
    expect(await ctx.store.acquireLease(run.id, 'replica-a', t0, TTL)).toBe(false);
    expect(await ctx.store.acquireLease('missing', 'replica-a', t0, TTL)).toBe(false);
  });

  test('expiredLeases lists active runs whose lease is stale or missing, not fresh, queued or finished ones', async () => {
    const fresh = await ctx.store.createRun(newRun({ state: 'running' }));
    const stale = await ctx.store.createRun(newRun({ state: 'tearing_down' }));
    const unleased = await ctx.store.createRun(newRun({ state: 'running' }));
    const keptStale = await ctx.store.createRun(newRun({ state: 'kept' }));
    const queued = await ctx.store.createRun(newRun({ state: 'queued' }));
    const finished = await ctx.store.createRun(newRun({ state: 'failed' }));
    await ctx.store.acquireLease(fresh.id, 'replica-a', at(10_000), TTL);
    await ctx.store.acquireLease(stale.id, 'replica-dead', t0, TTL);
    await ctx.store.acquireLease(keptStale.id, 'replica-dead', t0, TTL);
    await ctx.store.acquireLease(finished.id, 'replica-dead', t0, TTL);
    expect(queued.leaseOwner).toBeNull();

    const expired = await ctx.store.expiredLeases(at(TTL + 5_000), TTL);
    expect(expired.map((r) => r.id)).toEqual([stale.id, unleased.id, keptStale.id]);
    expect((await ctx.store.expiredLeases(at(TTL + 5_000), TTL, ['running'])).map((r) => r.id)).toEqual([unleased.id]);
    expect((await ctx.store.expiredLeases(at(TTL + 20_000), TTL)).map((r) => r.id)).toContain(fresh.id);
  });

  test('of replicas racing to adopt a dead replica\'s run, exactly one gets it', async () => {
    const other = await ctx.open();
    const run = await ctx.store.createRun(newRun({ state: 'running' }));
    await ctx.store.acquireLease(run.id, 'replica-dead', t0, TTL);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? other : ctx.store).acquireLease(run.id, `replica-${i}`, at(TTL + 1), TTL)),
    );
    const winners = results.flatMap((won, i) => (won ? [`replica-${i}`] : []));
    expect(winners).toHaveLength(1);
    expect((await ctx.store.getRun(run.id))!.leaseOwner).toBe(winners[0]);
  });
  test('the epoch moves each time the lease changes hands, and only then', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'running' }));
    expect(run.leaseEpoch).toBe(0);
    await ctx.store.acquireLease(run.id, 'replica-a', t0, TTL);
    expect((await ctx.store.getRun(run.id))!.leaseEpoch).toBe(1);
    await ctx.store.acquireLease(run.id, 'replica-a', at(5_000), TTL);
    expect((await ctx.store.getRun(run.id))!.leaseEpoch).toBe(1);
    await ctx.store.acquireLease(run.id, 'replica-b', at(5_000 + TTL + 1), TTL);
    expect((await ctx.store.getRun(run.id))!.leaseEpoch).toBe(2);
    await ctx.store.releaseLease(run.id, 'replica-b');
    await ctx.store.acquireLease(run.id, 'replica-b', at(2 * TTL), TTL);
    expect((await ctx.store.getRun(run.id))!.leaseEpoch).toBe(3);
  });

  test('holdsLease passes (and renews) only for the owner at its epoch; an adoption fences the old owner', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'running' }));
    await ctx.store.acquireLease(run.id, 'replica-a', t0, TTL);
    expect(await ctx.store.holdsLease(run.id, 'replica-a', 1, at(TTL + 10))).toBe(true);
    // Renewed by the check: not adoptable at TTL + 20.
    expect(await ctx.store.acquireLease(run.id, 'replica-b', at(TTL + 20), TTL)).toBe(false);
    expect(await ctx.store.holdsLease(run.id, 'replica-a', 0, at(TTL + 30))).toBe(false);
    expect(await ctx.store.holdsLease(run.id, 'replica-b', 1, at(TTL + 30))).toBe(false);
    expect(await ctx.store.acquireLease(run.id, 'replica-b', at(3 * TTL), TTL)).toBe(true);
    expect(await ctx.store.holdsLease(run.id, 'replica-a', 1, at(3 * TTL + 1))).toBe(false);
    expect(await ctx.store.holdsLease(run.id, 'replica-b', 2, at(3 * TTL + 1))).toBe(true);
  });

  test('a finish under a lost lease does not land', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'tearing_down' }));
    await ctx.store.acquireLease(run.id, 'replica-a', t0, TTL);
    await ctx.store.acquireLease(run.id, 'replica-b', at(TTL + 1), TTL);
    expect(await ctx.store.transitionRun(run.id, ['tearing_down'], 'succeeded', {}, { owner: 'replica-a', epoch: 1 })).toBe(false);
    expect(await ctx.store.transitionRun(run.id, ['tearing_down'], 'failed', {}, { owner: 'replica-b', epoch: 2 })).toBe(true);
    expect((await ctx.store.getRun(run.id))!.state).toBe('failed');
  });

  test('a run created leased (a foreground requester) holds its lease from the start', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'queued', leaseOwner: 'cli-1', createdAt: t0 }));
    expect(run).toMatchObject({ leaseOwner: 'cli-1', leaseHeartbeatAt: t0, leaseEpoch: 1 });
    expect(await ctx.store.acquireLease(run.id, 'server', at(1_000), TTL)).toBe(false);
    expect(await ctx.store.acquireLease(run.id, 'cli-1', at(1_000), TTL)).toBe(true);
  });

  test('a handover releases the lease with its mark and sealed secrets; the taker reads and clears them once', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'running' }));
    await ctx.store.acquireLease(run.id, 'replica-a', t0, TTL);
    expect(await ctx.store.handOver(run.id, 'replica-b', 'replica-b', null)).toBe(false);
    expect(await ctx.store.handOver(run.id, 'replica-a', 'replica-a', 'v1.sealed')).toBe(true);
    expect(await ctx.store.getRun(run.id)).toMatchObject({ leaseOwner: null, handoverFrom: 'replica-a' });
    expect((await ctx.store.expiredLeases(at(1), TTL)).map((r) => r.id)).toEqual([run.id]);
    expect(await ctx.store.takeHandover(run.id, 'replica-b')).toEqual({ from: null, sealedSecrets: null });
    await ctx.store.acquireLease(run.id, 'replica-b', at(1), TTL);
    expect(await ctx.store.takeHandover(run.id, 'replica-b')).toEqual({ from: 'replica-a', sealedSecrets: 'v1.sealed' });
    expect(await ctx.store.takeHandover(run.id, 'replica-b')).toEqual({ from: null, sealedSecrets: null });
    expect((await ctx.store.getRun(run.id))!.handoverFrom).toBeNull();
  });

  test('replicas: live ones by heartbeat, with their role and whether they are stopping; a clean exit removes the row', async () => {
    await ctx.store.replicaHeartbeat('server-a', 'server', t0);
    await ctx.store.replicaHeartbeat('cli-1', 'cli', at(5_000));
    expect((await ctx.store.liveReplicas(at(TTL), TTL)).map((r) => [r.owner, r.role, r.stopping])).toEqual([
      ['cli-1', 'cli', false],
      ['server-a', 'server', false],
    ]);
    await ctx.store.replicaStopping('server-a');
    await ctx.store.replicaHeartbeat('server-a', 'server', at(TTL));
    expect((await ctx.store.liveReplicas(at(TTL + 5_000), TTL)).map((r) => [r.owner, r.stopping])).toEqual([
      ['cli-1', false],
      ['server-a', true],
    ]);
    expect((await ctx.store.liveReplicas(at(TTL + 5_001), TTL)).map((r) => r.owner)).toEqual(['server-a']);
    await ctx.store.removeReplica('server-a');
    expect(await ctx.store.liveReplicas(at(TTL + 5_001), TTL)).toEqual([]);
  });

  test('interruptSteps ends the running steps as interrupted, and no others', async () => {
    const run = await ctx.store.createRun(newRun({ state: 'running' }));
    const step = (name: string, state: 'running' | 'succeeded') => ({ runId: run.id, name, state, startedAt: t0, finishedAt: null, outputs: {}, error: null });
    await ctx.store.upsertStep(step('launch', 'succeeded'));
    await ctx.store.upsertStep(step('tests', 'running'));
    expect(await ctx.store.interruptSteps(run.id, at(1_000), 'interrupted: its process stopped')).toEqual(['tests']);
    const steps = await ctx.store.getSteps(run.id);
    expect(steps.map((s) => [s.name, s.state])).toEqual([['launch', 'succeeded'], ['tests', 'interrupted']]);
    expect(steps[1]).toMatchObject({ finishedAt: at(1_000), error: 'interrupted: its process stopped' });
  });
});
