// Keeping every run moving towards an end, whoever started it: the heartbeat that renews this
// engine's leases (and hears cancels that reached another replica), the adoption of runs whose
// process died, and the teardown of kept runs whose time is up.
import type { Run } from '../../domain/run.ts';
import type { EngineServices } from '../engine-services.ts';
import type { DriveMode } from '../run-driver.ts';
import type { DriverPool, EngineState } from './drivers.ts';
import type { Scheduler } from './scheduler.ts';

export class Recovery {
  /** Runs whose environment is gone from the configuration (warned about once). */
  private readonly unadoptable = new Set<string>();
  private readonly svc: EngineServices;
  private readonly state: EngineState;
  private readonly pool: DriverPool;
  private readonly scheduler: Scheduler;
  /** Cancels a queued run whose cancel reached another replica (the engine's API). */
  private readonly cancel: (runId: string, by: string, reason: string | null) => Promise<unknown>;

  constructor(svc: EngineServices, state: EngineState, pool: DriverPool, scheduler: Scheduler, cancel: (runId: string, by: string, reason: string | null) => Promise<unknown>) {
    this.svc = svc;
    this.state = state;
    this.pool = pool;
    this.scheduler = scheduler;
    this.cancel = cancel;
  }

  /**
   * Renews the leases of the runs this engine drives, stops driving any whose lease went to another
   * engine, and acts on cancel requests that reached another replica. Runs in every engine that
   * drives something, the CLI's included: a lease that lapses would let a server adopt a live run.
   */
  async heartbeat(): Promise<void> {
    const { store, clock, ownerId } = this.svc;
    await store.heartbeat(ownerId, clock.now());
    const leased = new Map((await store.leasedRuns(ownerId)).map((r) => [r.id, r]));
    for (const [runId, driver] of this.pool.entries()) {
      const run = leased.get(runId);
      if (!run) driver.abandon();
      else if (run.cancelRequestedBy && !driver.cancelling) driver.cancel(run.cancelRequestedBy, run.cancelReason);
    }
  }

  /** One pass of the background loop: heartbeat, adoptions, kept runs, queued cancels, the queue. */
  async tickOnce(): Promise<void> {
    const { store, clock, config } = this.svc;
    const now = clock.now();
    await this.heartbeat();
    if (this.state.stopping) return;
    for (const run of await store.expiredLeases(now, config.runs.leaseTtl, ['running', 'tearing_down'])) {
      const mode: DriveMode =
        config.runs.onAdopt === 'resume' && run.state === 'running' && (await this.safeToResume(run.id))
          ? { kind: 'resume' }
          : { kind: 'teardown', reason: `its process (${run.leaseOwner ?? 'unknown'}) stopped`, interrupted: true };
      await this.adopt(run, mode, false);
    }
    for (const run of await store.listRuns({ states: ['kept'] })) {
      if (this.pool.has(run.id)) continue;
      // A cancel can land on a run that became kept between being read as running and the write.
      if (run.cancelRequestedBy) await this.adopt(run, { kind: 'teardown', reason: `torn down by ${run.cancelRequestedBy}`, interrupted: false }, true);
      else if (run.expiresAt && run.expiresAt <= now) await this.adopt(run, { kind: 'teardown', reason: 'its --keep time ran out', interrupted: false }, true);
    }
    for (const run of await store.listRuns({ states: ['queued'] })) {
      if (run.cancelRequestedBy) await this.cancel(run.id, run.cancelRequestedBy, run.cancelReason).catch(() => undefined);
    }
    await this.scheduler.pump();
  }

  /** Takes a run over (lease first) and drives it in `mode`; `kept`: a kept run's teardown, not an adoption. */
  async adopt(run: Run, mode: DriveMode, kept: boolean): Promise<void> {
    const { store, clock, config, ownerId } = this.svc;
    if (this.pool.has(run.id)) return;
    if (!run.env || !config.environments[run.env]) {
      // No driver can tear down an environment the configuration no longer has; the sweeper reaps the
      // run's assets by their tags once they expire. Adopting it would only fail again at every tick.
      if (!this.unadoptable.has(run.id)) this.svc.logger.warn({ runId: run.id, env: run.env }, 'run of an unconfigured environment left to the sweeper');
      this.unadoptable.add(run.id);
      return;
    }
    if (!(await store.acquireLease(run.id, ownerId, clock.now(), config.runs.leaseTtl))) return;
    if (!kept) {
      this.svc.emit(run.id, {
        type: 'run.adopted',
        previousOwner: run.leaseOwner,
        action: mode.kind === 'resume' ? 'resume' : 'teardown',
        reason: mode.kind === 'teardown' ? mode.reason : `its process (${run.leaseOwner ?? 'unknown'}) stopped`,
      });
    }
    this.pool.start((await store.getRun(run.id))!, mode);
  }

  private async safeToResume(runId: string): Promise<boolean> {
    const steps = await this.svc.store.getSteps(runId);
    const inFlight = steps.filter((s) => s.state === 'running' || s.state === 'failed' || s.state === 'cancelled');
    const all = [...this.svc.pipeline.parallel, ...this.svc.pipeline.chain, ...this.svc.pipeline.after];
    return inFlight.every((s) => all.find((p) => p.name === s.name)?.safeToRepeat === true);
  }
}
