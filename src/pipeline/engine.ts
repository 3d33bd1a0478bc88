// The engine: takes launches, queues them, drives runs, and keeps every run it can see moving
// towards an end — including runs whose process died (recovery) and kept runs whose time is up.
// A thin facade over its parts in ./engine/: the run API, the queue and lock scheduler, recovery
// and leases, and the event bus.
import type { Config } from '../config/index.ts';
import type { Run } from '../domain/run.ts';
import type { EngineServices } from './engine-services.ts';
import { DriverPool, type EngineState } from './engine/drivers.ts';
import { EventBus } from './engine/event-bus.ts';
import { recoveryNeeded } from './recovery-needed.ts';
import { Recovery, type Recovered } from './engine/recovery.ts';
import { KeptRuns } from './engine/kept-runs.ts';
import { RunApi, type BakeRequest, type LaunchRequest, type PromoteRequest } from './engine/run-api.ts';
import { Scheduler } from './engine/scheduler.ts';
import { PoolKeeper, type PoolPass } from './engine/pool-keeper.ts';
import { engineServices, type EngineOptions } from './engine/services.ts';
import { handOver, letGo } from './engine/shutdown.ts';
import type { EventListener } from './events.ts';
import { stepNames } from './pipeline.ts';
import { poolKeyProblem } from './pool-readiness.ts';
import { ConfigError } from '../errors.ts';
import { summarizeRun, type RunSummary } from './run-summary.ts';

export type { BakeRequest, LaunchRequest, PromoteRequest } from './engine/run-api.ts';
export type { Recovered } from './engine/recovery.ts';
export type { EngineOptions } from './engine/services.ts';

/** How often an engine heartbeats for a lease TTL: at most a third of it, so two late beats still keep it. */
export function heartbeatEveryMs(leaseTtlMs: number): number {
  return Math.max(100, Math.min(15_000, Math.floor(leaseTtlMs / 3)));
}

export class Engine {
  private readonly svc: EngineServices;
  private readonly state: EngineState;
  private readonly bus: EventBus;
  private readonly pool: DriverPool;
  private readonly scheduler: Scheduler;
  private readonly recovery: Recovery;
  private readonly api: RunApi;
  private readonly kept: KeptRuns;
  private readonly keeper: PoolKeeper;
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;

  constructor(opts: EngineOptions) {
    this.state = {
      stopping: false,
      background: opts.background ?? true,
      tickMs: opts.tickMs ?? heartbeatEveryMs(opts.config.runs.leaseTtl),
    };
    // A server keeps the pools: one whose members could never be claimed is refused at start.
    const poolProblem = this.state.background ? poolKeyProblem(opts.config, opts.handoverKey ?? null) : null;
    if (poolProblem) throw new ConfigError(poolProblem);
    const svc = engineServices(opts, {
      secretsOf: (runId) => this.pool.secretsOf(runId),
      emit: (runId, body) => this.bus.emit(runId, body),
      emitLog: (runId, step, line) => this.bus.emitLog(runId, step, line),
      wakePool: () => this.keeper.wake(),
    });
    const bus = new EventBus({ store: opts.store, clock: svc.clock, logger: opts.logger });
    this.svc = svc;
    this.bus = bus;
    this.pool = new DriverPool(svc, this.state, {
      heartbeat: () => this.recovery.heartbeat(),
      // An environment may have freed up.
      settled: () => this.scheduler.wake(),
    });
    this.scheduler = new Scheduler(svc, this.state, this.pool);
    this.api = new RunApi(svc, this.state, this.pool, this.scheduler);
    this.kept = new KeptRuns(svc, this.pool);
    this.recovery = new Recovery(svc, this.state, this.pool, this.scheduler, (runId, by, reason) => this.api.cancel(runId, by, reason));
    this.api.recovery = this.recovery;
    this.keeper = new PoolKeeper(svc, this.state, () => this.scheduler.pump(), (runId, by, reason) => this.api.cancel(runId, by, reason));
  }

  get ownerId(): string {
    return this.svc.ownerId;
  }

  get config(): Config {
    return this.svc.config;
  }

  /** The pipeline's step names in order (a run's timing table lists every one). */
  get stepNames(): string[] {
    return stepNames(this.svc.pipeline);
  }

  now(): Date {
    return this.svc.clock.now();
  }

  /** Timings, per-browser results and cost of a run, from the store. */
  summarize(run: Run): Promise<RunSummary> {
    return summarizeRun(this.svc.store, { config: this.svc.config, prices: this.svc.prices, stepNames: this.stepNames, now: this.now() }, run);
  }

  /** Resolves once every event emitted so far is in the store's timeline. */
  flush(): Promise<void> {
    return this.bus.flush();
  }

  on(listener: EventListener): () => void {
    return this.bus.on(listener);
  }

  /** Recovers what needs recovering, then keeps looking for work every tickMs. */
  async start(): Promise<void> {
    if (!this.state.background) return;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.state.tickMs);
    this.timer.unref();
  }

  /**
   * Stops taking work. A server hands its runs over (a planned restart, not a crash): each stops at a
   * step boundary — a step not safe to repeat gets `graceMs` to finish — and is released marked for
   * handover, so another replica (or this one, restarted) resumes it at once. A short-lived engine gives
   * its runs `graceMs`, then lets go of what is left; queued runs it waited for are cancelled (nobody
   * would see them start). A teardown under way always finishes here, with its lease.
   */
  async stop(graceMs = 10_000): Promise<void> {
    const { store, ownerId, logger } = this.svc;
    this.state.stopping = true;
    await store.replicaStopping(ownerId).catch(() => undefined);
    // The timers keep heartbeating until every driver has settled (a stopping tick only heartbeats):
    // a lease that lapsed during a teardown would let another replica tear down the same run.
    await this.ticking;
    for (const runId of this.pool.waitingFor()) {
      await this.api.cancel(runId, 'stagebot', 'cancelled: its requester stopped waiting; nothing was launched').catch(() => undefined);
    }
    if (this.state.background) await handOver(this.svc, this.pool, graceMs);
    else await letGo(this.svc, this.pool, graceMs);
    await Promise.allSettled(this.pool.inFlight());
    if (this.timer) clearInterval(this.timer);
    this.pool.stopHeartbeat();
    await store.removeReplica(ownerId).catch((err) => logger.warn({ err }, 'could not remove this replica from the store'));
    await this.flush();
  }

  /** Simulates a crash: every run stops where it is, nothing is torn down or released. */
  abandon(): void {
    this.state.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.pool.stopHeartbeat();
    for (const [, driver] of this.pool.entries()) driver.abandon();
  }

  /** Queues a launch and starts it when its environment is free. Returns the run and its queue position. */
  launch(req: LaunchRequest): Promise<{ run: Run; position: number | null }> {
    return this.api.launch(req);
  }

  /** Queues a bake of an image (a run of kind `bake`). */
  bake(req: BakeRequest): Promise<{ run: Run; position: number | null }> {
    return this.api.bake(req);
  }

  /** Queues a promotion of an image (a run of kind `promote`, holding the image's lock). */
  promote(req: PromoteRequest): Promise<{ run: Run; position: number | null }> {
    return this.api.promote(req);
  }

  /** Resolves with the run once it has finished or is kept. */
  waitForRun(runId: string): Promise<Run> {
    return this.api.waitForRun(runId);
  }

  /** A queued run's place and estimated wait; null once it is no longer queued. */
  queueStatus(runId: string): Promise<{ position: number; etaMs: number | null; heldBy: string | null } | null> {
    return this.api.queueStatus(runId);
  }

  /** True while this engine drives the run (a CLI follows such a run to its end before it exits). */
  drives(runId: string): boolean {
    return this.pool.has(runId);
  }

  /**
   * For a short-lived engine: when no server shares the store, takes over every run whose process died
   * (per runs.onAdopt, or resumed after a handover), kept runs whose time is up and queued runs whose
   * requester died, and drives them here. Returns what it took; [] when a live server will do it.
   */
  async recoverAbandoned(except?: string): Promise<Recovered[]> {
    const { store, clock, config } = this.svc;
    if (!(await recoveryNeeded(store, config, clock.now()))) return [];
    await this.recovery.heartbeat();
    return this.recovery.recoverAbandoned(except);
  }

  /** `reason`: why, when the asker said ("the pull request was closed"); fronts show it with who. */
  cancel(runId: string, by: string, reason: string | null = null): Promise<Run> {
    return this.api.cancel(runId, by, reason);
  }

  /** Tears a kept run down now; a run still going is cancelled (its teardown follows). */
  teardown(runId: string, by: string): Promise<Run> {
    return this.api.cancel(runId, by);
  }

  /**
   * Frees a person's lock on `env` (only if `holder` has it) and starts the next queued run of it at
   * once; false when the lock was not `holder`'s.
   */
  unlock(env: string, holder: string): Promise<boolean> {
    return this.scheduler.unlock(env, holder);
  }

  /** A kept run's tests again, on its environment (RunApi.retest). */
  retest(runId: string, opts: { browsers: string[] | null; grep: string | null }, by: string): Promise<Run> {
    return this.kept.retest(runId, opts, by);
  }

  extend(runId: string, byMs: number, by: string): Promise<Run> {
    return this.kept.extend(runId, byMs, by);
  }

  /** Keeps a run's environment up for `ms` after its tests (a chat button); a kept run gets `ms` more. */
  keep(runId: string, ms: number, by: string): Promise<Run> {
    return this.kept.keep(runId, ms, by);
  }

  /** One pass of the warm pools' replenish job (a server's tick runs it; tests call it directly). */
  poolPass(): Promise<PoolPass | null> {
    return this.keeper.tick();
  }

  /** One pass of the background loop; tests call it directly instead of waiting for the timer. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.recovery
      .tickOnce()
      .then(async () => {
        if (this.state.background && !this.state.stopping) await this.keeper.tick();
      })
      .catch((err) => this.svc.logger.error({ err }, 'engine tick failed'))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
  }

  /** Renews this engine's leases and hears cancels that reached another replica (see Recovery.heartbeat). */
  heartbeat(): Promise<void> {
    return this.recovery.heartbeat();
  }
}
