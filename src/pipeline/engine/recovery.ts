// Keeping every run moving towards an end, whoever started it: the heartbeat that renews this
// engine's leases (and hears cancels that reached another replica), the adoption of runs whose
// process died or handed them over, the queued runs whose requester died, and the teardown of kept
// runs whose time is up.
import { environmentOfRun } from '../run-environment.ts';
import { EPHEMERAL_KEY_PAIR } from '../steps/helpers/launch-request.ts';
import type { Run } from '../../domain/run.ts';
import type { EngineServices } from '../engine-services.ts';
import { HANDOVER_KEY_ENV, unsealSecrets } from '../handover-seal.ts';
import { EPHEMERAL_KEY_SECRET } from '../step-outputs.ts';
import { pipelineOf, type DriveMode } from '../run-driver.ts';
import type { DriverPool, EngineState } from './drivers.ts';
import { endAbandonedRetest } from './kept-runs.ts';
import type { Scheduler } from './scheduler.ts';

/** What a recovery pass took over, for whoever asked (the CLI tells its user). */
export interface Recovered {
  run: Run;
  /** drop: a queued run whose requester died, cancelled without ever starting. */
  action: 'resume' | 'teardown' | 'drop';
  reason: string;
}

export class Recovery {
  /** Runs whose environment is gone from the configuration (warned about once). */
  private readonly unadoptable = new Set<string>();
  private readonly svc: EngineServices;
  private readonly state: EngineState;
  private readonly pool: DriverPool;
  private readonly scheduler: Scheduler;
  /** Cancels a queued run (the engine's API): who asked, and why. */
  private readonly cancel: (runId: string, by: string, reason: string | null) => Promise<unknown>;

  constructor(
    svc: EngineServices,
    state: EngineState,
    pool: DriverPool,
    scheduler: Scheduler,
    cancel: (runId: string, by: string, reason: string | null) => Promise<unknown>,
  ) {
    this.svc = svc;
    this.state = state;
    this.pool = pool;
    this.scheduler = scheduler;
    this.cancel = cancel;
  }

  /**
   * Renews this engine's heartbeat and the leases of the runs it drives or waits for, stops driving
   * any whose lease went to another engine, and acts on cancel requests that reached another replica.
   * Runs in every engine that holds a lease, the CLI's included: a lease that lapses would let a server
   * adopt a live run.
   */
  async heartbeat(): Promise<void> {
    const { store, clock, ownerId } = this.svc;
    const now = clock.now();
    await store.replicaHeartbeat(ownerId, this.svc.role, now);
    await store.heartbeat(ownerId, now);
    const leased = new Map((await store.leasedRuns(ownerId)).map((r) => [r.id, r]));
    for (const [runId, driver] of this.pool.entries()) {
      const run = leased.get(runId);
      if (!run) driver.lostLease('the next heartbeat');
      else if (run.cancelRequestedBy && !driver.cancelling) driver.cancel(run.cancelRequestedBy, run.cancelReason);
    }
  }

  /** One pass of the background loop: heartbeat, adoptions, kept runs, queued cancels and ghosts, the queue. */
  async tickOnce(): Promise<void> {
    await this.heartbeat();
    if (this.state.stopping) return;
    await this.recoverAbandoned();
    await this.scheduler.pump();
  }

  /**
   * Every run whose driver is gone, taken over here: adopted (crash: per runs.onAdopt; handover:
   * resumed), kept runs whose time is up torn down, queued runs whose requester died dropped.
   * `except`: a run the caller handles itself. Returns what it took over (drives go on in the pool).
   */
  async recoverAbandoned(except?: string): Promise<Recovered[]> {
    const { store, clock, config, ownerId } = this.svc;
    const now = clock.now();
    const taken: Recovered[] = [];
    const alive = new Set((await store.liveReplicas(now, config.runs.leaseTtl)).map((r) => r.owner));
    for (const run of await store.expiredLeases(now, config.runs.leaseTtl, ['running', 'tearing_down'])) {
      if (run.id === except) continue;
      // Its process still beats: a lease that lapsed without it is not a death. (Fencing covers the rest.)
      if (run.leaseOwner && run.leaseOwner !== ownerId && alive.has(run.leaseOwner)) continue;
      const { mode, reason } = await this.adoptionOf(run);
      if (await this.adopt(run, mode, false, reason)) taken.push({ run, action: mode.kind === 'resume' ? 'resume' : 'teardown', reason });
    }
    for (const listed of await store.listRuns({ states: ['kept'] })) {
      if (this.pool.has(listed.id) || listed.id === except) continue;
      // A retest whose process died leaves its tests step running: ended first, whatever comes next.
      const run = (await endAbandonedRetest(this.svc, listed, alive)) ?? listed;
      // A cancel can land on a run that became kept between being read as running and the write.
      if (run.cancelRequestedBy) {
        const reason = `torn down by ${run.cancelRequestedBy}`;
        if (await this.adopt(run, { kind: 'teardown', reason, interrupted: false }, true)) taken.push({ run, action: 'teardown', reason });
      } else if (run.expiresAt && run.expiresAt <= now) {
        const reason = 'its --keep time ran out';
        if (await this.adopt(run, { kind: 'teardown', reason, interrupted: false }, true)) taken.push({ run, action: 'teardown', reason });
      }
    }
    for (const run of await store.listRuns({ states: ['queued'] })) {
      if (run.id === except) continue;
      if (run.cancelRequestedBy) await this.cancel(run.id, run.cancelRequestedBy, run.cancelReason).catch(() => undefined);
      else if (this.requesterGone(run, now, alive)) {
        const reason = await this.dropQueued(run);
        if (reason) taken.push({ run, action: 'drop', reason });
      }
    }
    return taken;
  }

  /**
   * A queued run whose requester waits in the foreground (it holds the run's lease from creation) and
   * stopped beating: nobody is there to see it start, so it never will.
   */
  private requesterGone(run: Run, now: Date, alive: ReadonlySet<string>): boolean {
    if (run.leaseOwner === null || run.leaseOwner === this.svc.ownerId || alive.has(run.leaseOwner)) return false;
    return run.leaseHeartbeatAt === null || now.getTime() - run.leaseHeartbeatAt.getTime() > this.svc.config.runs.leaseTtl;
  }

  /** Cancels a queued run whose requester died; its reason, or null when it started or ended meanwhile. */
  private async dropQueued(run: Run): Promise<string | null> {
    const reason = `dropped from the queue: its requester (${run.leaseOwner}) stopped while it waited; nothing was launched`;
    try {
      const after = await this.cancel(run.id, 'stagebot', reason);
      if ((after as Run).cancelReason !== reason) return null;
    } catch {
      return null; // started or cancelled meanwhile
    }
    this.svc.logger.info({ runId: run.id, requester: run.leaseOwner }, `run ${run.id} ${reason}`);
    this.svc.metrics?.runRecoveries.inc({ event: 'dropped' });
    return reason;
  }

  /**
   * A cancel or teardown of a running run whose process is gone (lease lapsed, its process no longer
   * beating): torn down here at once, ending cancelled. False when its driver lives (or another engine
   * took it first): the caller records the request for that driver.
   */
  async takeOverToCancel(run: Run, by: string, why: string | null = null): Promise<boolean> {
    const { store, clock, config } = this.svc;
    if (run.state !== 'running' && run.state !== 'tearing_down') return false;
    const now = clock.now();
    const lapsed = run.leaseOwner === null || run.leaseHeartbeatAt === null || now.getTime() - run.leaseHeartbeatAt.getTime() > config.runs.leaseTtl;
    if (!lapsed) return false;
    const alive = new Set((await store.liveReplicas(now, config.runs.leaseTtl)).map((r) => r.owner));
    if (run.leaseOwner && run.leaseOwner !== this.svc.ownerId && alive.has(run.leaseOwner)) return false;
    const reason = `torn down by ${by} after its process (${run.leaseOwner ?? 'unknown'}) stopped`;
    return this.adopt(run, { kind: 'teardown', reason, interrupted: false, cancelledBy: by, ...(why ? { cancelReason: why } : {}) }, false, reason);
  }

  /** How a run whose driver is gone is taken over, and the sentence that says why. */
  private async adoptionOf(run: Run): Promise<{ mode: DriveMode; reason: string }> {
    const { config } = this.svc;
    const unsafe = run.state === 'running' ? await this.unsafeToResume(run) : [];
    if (run.handoverFrom) {
      // A planned stop: the run was fine, so it goes on wherever it can, whatever onAdopt says for crashes.
      const reason = `handed over from replica ${run.handoverFrom} during a restart`;
      if (run.state === 'running' && unsafe.length === 0) return { mode: { kind: 'resume' }, reason };
      const why = run.state === 'running' ? `${reason}, while ${unsafe.join(', ')} (not safe to repeat) was cut short` : reason;
      return { mode: { kind: 'teardown', reason: why, interrupted: true }, reason: why };
    }
    const reason = `its process (${run.leaseOwner ?? 'unknown'}) stopped`;
    if (config.runs.onAdopt === 'resume' && run.state === 'running' && unsafe.length === 0) return { mode: { kind: 'resume' }, reason };
    return { mode: { kind: 'teardown', reason, interrupted: true }, reason };
  }

  /**
   * Takes a run over (lease first, which bumps its epoch and so fences any driver still acting on it)
   * and drives it in `mode`. `kept`: a kept run's teardown, not an adoption. False when another engine
   * got it first.
   */
  async adopt(run: Run, mode: DriveMode, kept: boolean, reason?: string): Promise<boolean> {
    const { store, clock, config, ownerId, logger } = this.svc;
    if (this.pool.has(run.id)) return false;
    if (!environmentOfRun(config, run)) {
      // No driver can tear down an environment the configuration no longer has; the sweeper reaps the
      // run's assets by their tags once they expire. Adopting it would only fail again at every tick.
      if (!this.unadoptable.has(run.id)) logger.warn({ runId: run.id, env: run.env }, 'run of an unconfigured environment left to the sweeper');
      this.unadoptable.add(run.id);
      return false;
    }
    if (!(await store.acquireLease(run.id, ownerId, clock.now(), config.runs.leaseTtl))) return false;
    const handover = await store.takeHandover(run.id, ownerId);
    let why = reason ?? (mode.kind === 'teardown' ? mode.reason : `its process (${run.leaseOwner ?? 'unknown'}) stopped`);
    if (mode.kind === 'resume') {
      const lost = this.restoreSecrets(run, handover.sealedSecrets);
      if (lost) {
        // Nothing can reach the host without its key: the environment is built again from launch,
        // which replaces the unreachable instance (steps/launch.ts).
        why += `; ${lost}, so its instance is replaced`;
        await this.redoEnvironmentSteps(run.id);
      }
    }
    if (!kept) {
      const interrupted = await store.interruptSteps(run.id, clock.now(), `interrupted: ${why}`);
      const action = mode.kind === 'resume' ? 'resume' : 'teardown';
      this.svc.emit(run.id, { type: 'run.adopted', previousOwner: run.leaseOwner, action, reason: why });
      const event = handover.from ? 'handover-resumed' : 'adopted';
      logger.info(
        { runId: run.id, previousOwner: run.leaseOwner, action, interrupted, epoch: run.leaseEpoch + 1, handoverFrom: handover.from },
        `run ${run.id} ${handover.from ? 'taken over' : 'adopted'} (${action}): ${why}`,
      );
      this.svc.metrics?.runRecoveries.inc({ event });
    }
    this.pool.start((await store.getRun(run.id))!, mode);
    return true;
  }

  /**
   * Puts a resumed run's sealed secrets (its ephemeral key) back. Returns why it could not (the key is
   * then lost), or null when the run needs none or has them.
   */
  private restoreSecrets(run: Run, sealed: string | null): string | null {
    const env = environmentOfRun(this.svc.config, run);
    const mine = this.svc.secretsOf(run.id);
    if (env?.keyPair !== EPHEMERAL_KEY_PAIR || mine.has(EPHEMERAL_KEY_SECRET)) return null;
    if (sealed === null) return `its ephemeral SSH key was not handed over (no ${HANDOVER_KEY_ENV} on the replica that stopped)`;
    if (this.svc.handoverKey === null) return `this replica has no ${HANDOVER_KEY_ENV} to open its ephemeral SSH key`;
    const secrets = unsealSecrets(this.svc.handoverKey, run.id, sealed);
    if (secrets instanceof Error) return secrets.message;
    for (const [k, v] of secrets) mine.set(k, v);
    return null;
  }

  /** Marks the environment's steps (launch onwards, and what follows) to be done again on resume. */
  private async redoEnvironmentSteps(runId: string): Promise<void> {
    const { pipeline, store } = this.svc;
    const names = new Set<string>([...pipeline.chain, ...pipeline.after].map((s) => s.name));
    for (const step of await store.getSteps(runId)) {
      if (names.has(step.name) && step.state !== 'pending') await store.upsertStep({ ...step, state: 'pending', startedAt: null, finishedAt: null, outputs: {}, error: null });
    }
  }

  /** The run's steps cut short that may not simply run again (none: it may resume); judged by its kind's pipeline. */
  private async unsafeToResume(run: Run): Promise<string[]> {
    const steps = await this.svc.store.getSteps(run.id);
    const inFlight = steps.filter((s) => s.state === 'running' || s.state === 'failed' || s.state === 'cancelled' || s.state === 'interrupted');
    const pipeline = pipelineOf(this.svc, run);
    const all = [...pipeline.parallel, ...pipeline.chain, ...pipeline.after];
    return inFlight.filter((s) => all.find((p) => p.name === s.name)?.safeToRepeat !== true).map((s) => s.name);
  }
}
