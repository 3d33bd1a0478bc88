// The engine: takes launches, queues them, drives runs, and keeps every run it can see moving
// towards an end — including runs whose process died (recovery) and kept runs whose time is up.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { AwsClients } from '../aws/clients.ts';
import { checkAccount } from '../aws/account.ts';
import type { Config } from '../config/index.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import { newRunId } from '../domain/run-id.ts';
import { isFinished, type Requester, type Run, type Source } from '../domain/run.ts';
import { ConflictError, NotFoundError, UserError } from '../errors.ts';
import { createPrices, type Prices } from '../cost/prices.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store } from '../store/index.ts';
import type { EngineServices } from './engine-services.ts';
import type { EngineEvent, EventListener, RunEventBody } from './events.ts';
import type { Pipeline } from './pipeline.ts';
import { RunAbandoned } from './run-errors.ts';
import { RunDriver, type DriveMode } from './run-driver.ts';
import { releaseRunLocks } from './run-locks.ts';
import { moveSwitch } from './move-switch.ts';
import { retagRunExpiry } from './retag.ts';
import { defaultPipeline } from './steps/index.ts';
import type { TestRunner } from './test-runners/types.ts';
import { formatDuration } from '../domain/duration.ts';
import { summarizeRun, type RunSummary } from './run-summary.ts';

/** Bound on moving a dead man's switch from a chat command (connect, re-arm): a dead host must not hang the reply. */
const MOVE_SWITCH_TIMEOUT_MS = 90_000;

export interface LaunchRequest {
  /** null: the first free environment of `pool`. */
  env: string | null;
  /** Environments a pool launch may take; default: the configured pool. */
  pool?: string[];
  browsers: string[];
  keepMs: number | null;
  ref: string | null;
  requester: Requester;
  source: Source;
}

export interface EngineOptions {
  config: Config;
  store: Store;
  aws: AwsClients;
  logger: Logger;
  testRunner: TestRunner;
  metrics?: Metrics;
  clock?: Clock;
  prices?: Prices;
  pipeline?: Pipeline;
  ownerId?: string;
  /** Tests throw RunAbandoned here to simulate a crash at a step boundary. */
  beforeStep?: (runId: string, step: string) => void | Promise<void>;
  /** Replaces the STS account check (tests of other things). */
  checkAccount?: (region: string) => Promise<void>;
  /**
   * false for a short-lived engine (the CLI): it drives only the runs it launched, and never adopts
   * or starts other runs that would die with it.
   */
  background?: boolean;
  /** How often the background loop looks for work (ms). */
  tickMs?: number;
}

export class Engine {
  private readonly svc: EngineServices;
  private readonly drivers = new Map<string, RunDriver>();
  private readonly driving = new Map<string, Promise<void>>();
  private readonly listeners = new Set<EventListener>();
  private readonly waiters = new Map<string, ((run: Run) => void)[]>();
  /** Appends of one run's events, chained so the timeline keeps emission order on every backend. */
  private readonly eventChains = new Map<string, Promise<unknown>>();
  /**
   * Secrets of the runs this engine drove (an ephemeral key): a kept run's driver is gone, but extend
   * still needs the key to move its dead man's switch. Dropped when the run finishes.
   */
  private readonly runSecrets = new Map<string, Map<string, string>>();
  /** Runs whose environment is gone from the configuration (warned about once). */
  private readonly unadoptable = new Set<string>();
  private readonly background: boolean;
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | null = null;
  /** Heartbeats of a short-lived engine (no background loop) while it drives runs. */
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopping = false;

  constructor(opts: EngineOptions) {
    const clock = opts.clock ?? systemClock;
    this.background = opts.background ?? true;
    this.tickMs = opts.tickMs ?? Math.max(1_000, Math.min(15_000, opts.config.runs.leaseTtl / 3));
    const svc: EngineServices = {
      config: opts.config,
      store: opts.store,
      aws: opts.aws,
      clock,
      logger: opts.logger,
      metrics: opts.metrics,
      prices: opts.prices ?? createPrices(opts.config.pricing),
      ownerId: opts.ownerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
      pipeline: opts.pipeline ?? defaultPipeline(),
      testRunner: opts.testRunner,
      stepRunnerDeps: {
        timeoutMs: (step) => (opts.config.runs.stepTimeouts as Record<string, number>)[step] ?? opts.config.runs.timeout,
        beforeStep: opts.beforeStep,
        onFinished: (step, outcome, ms) => opts.metrics?.stepDuration.observe({ step, outcome }, ms / 1000),
      },
      // STS is asked once per client (aws/account.ts caches the identity).
      checkAccount: async (region) => {
        if (opts.checkAccount) return opts.checkAccount(region);
        await checkAccount(opts.aws.sts(region), opts.config.aws.accountAllowlist);
      },
      moveExpiry: async (run, until, signal) => {
        await moveSwitch(this.svc, run, until, this.svc.secretsOf(run.id), signal ?? AbortSignal.timeout(MOVE_SWITCH_TIMEOUT_MS));
        await retagRunExpiry(this.svc, run, until);
      },
      secretsOf: (runId) => {
        let secrets = this.runSecrets.get(runId);
        if (!secrets) this.runSecrets.set(runId, (secrets = new Map()));
        return secrets;
      },
      emit: (runId, body) => this.emit(runId, body),
      emitLog: (runId, step, line) => {
        this.svc.logger.debug({ runId, step }, line);
        this.publish({ type: 'step.log', step, line, runId, at: clock.now() });
      },
    };
    this.svc = svc;
  }

  get ownerId(): string {
    return this.svc.ownerId;
  }

  get config(): Config {
    return this.svc.config;
  }

  get store(): Store {
    return this.svc.store;
  }

  now(): Date {
    return this.svc.clock.now();
  }

  /** Timings, per-browser results and cost of a run, from the store. */
  summarize(run: Run): Promise<RunSummary> {
    return summarizeRun(this.svc, run);
  }

  /** Resolves once every event emitted so far is in the store's timeline. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.eventChains.values()]);
  }

  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Recovers what needs recovering, then keeps looking for work every tickMs. */
  async start(): Promise<void> {
    if (!this.background) return;
    await this.tick();
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  /**
   * Stops taking work. Runs in flight get `graceMs` to finish; those still going are abandoned with
   * their lease released, so another replica (or this one, restarted) adopts them at once.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    // The timers keep heartbeating until every driver has settled (a stopping tick only heartbeats):
    // a lease that lapsed during a teardown would let another replica tear down the same run.
    await this.ticking;
    const inFlight = [...this.driving.values()];
    if (inFlight.length > 0) {
      const grace = new Promise((r) => setTimeout(r, graceMs).unref());
      await Promise.race([Promise.allSettled(inFlight), grace]);
    }
    for (const [runId, driver] of this.drivers) {
      // A teardown under way finishes here, with its lease, rather than being handed over half done.
      if (driver.tearingDown) continue;
      driver.abandon();
      await this.svc.store.releaseLease(runId, this.svc.ownerId).catch(() => undefined);
    }
    await Promise.allSettled([...this.driving.values()]);
    if (this.timer) clearInterval(this.timer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.flush();
  }

  /** Simulates a crash: every run stops where it is, nothing is torn down or released. */
  abandon(): void {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const driver of this.drivers.values()) driver.abandon();
  }

  /** Queues a launch and starts it when its environment is free. Returns the run and its queue position. */
  async launch(req: LaunchRequest): Promise<{ run: Run; position: number | null }> {
    if (this.stopping) throw new UserError('stagebot is shutting down; try again in a minute');
    const { config, store, clock } = this.svc;
    const pool = req.pool ?? config.pool;
    // A run of an environment the config does not have could never start its driver, and would sit
    // `running` with the lock and a lease its engine keeps renewing.
    const unknown = [...(req.env !== null ? [req.env] : pool)].filter((env) => !config.environments[env]);
    if (unknown.length > 0 || (req.env === null && pool.length === 0)) {
      throw new NotFoundError(`no environment ${unknown.join(', ') || '(empty pool)'}; valid: ${Object.keys(config.environments).join(', ')}`);
    }
    const now = clock.now();
    const idEnv = req.env ?? (await this.firstFreeEnv(pool)) ?? 'pool';
    const run = await store.createRun({
      id: newRunId(idEnv, now),
      env: req.env,
      requester: req.requester,
      source: req.source,
      createdAt: now,
      options: {
        browsers: req.browsers,
        ...(req.keepMs !== null ? { keepMs: req.keepMs } : {}),
        ...(req.ref !== null ? { ref: req.ref } : {}),
        ...(req.env === null ? { pool } : {}),
      },
    });
    await this.pump(this.background ? undefined : run.id);
    const current = (await store.getRun(run.id))!;
    const position = current.state === 'queued' ? await this.queuePosition(run.id) : null;
    if (position !== null) this.emit(run.id, { type: 'run.queued', position, env: run.env });
    return { run: current, position };
  }

  /** Resolves with the run once it has finished or is kept. */
  waitForRun(runId: string): Promise<Run> {
    return new Promise((resolve, reject) => {
      const list = this.waiters.get(runId) ?? [];
      const done = (run: Run) => {
        clearInterval(poll);
        resolve(run);
      };
      list.push(done);
      this.waiters.set(runId, list);
      const check = async () => {
        // A run this engine drives resolves when its driver is done (lock and lease released), not
        // when the store first shows its final state.
        if (this.drivers.has(runId)) return;
        // Still queued: a short-lived engine has no background loop to start it when its
        // environment frees up, so it tries here; a run driven elsewhere is followed in the store.
        if (!this.background) await this.pump(runId);
        const run = await this.svc.store.getRun(runId);
        if (!run) throw new NotFoundError(`no run ${runId}`);
        if ((isFinished(run.state) || run.state === 'kept') && !this.drivers.has(runId)) this.resolveWaiters(run);
      };
      const fail = (err: unknown) => {
        clearInterval(poll);
        reject(err);
      };
      const poll = setInterval(() => void check().catch(fail), this.tickMs);
      poll.unref();
      check().catch(fail);
    });
  }

  async cancel(runId: string, by: string): Promise<Run> {
    const { store } = this.svc;
    const run = await this.getRun(runId);
    if (isFinished(run.state)) throw new ConflictError(`run ${runId} already ${run.state}; nothing to cancel`);
    if (run.state === 'queued') {
      if (await store.transitionRun(runId, ['queued'], 'cancelled', { finishedAt: this.svc.clock.now(), error: `cancelled by ${by}` })) {
        // A pump that died between claiming an environment and starting the run left it claimed.
        await releaseRunLocks(store, runId);
        const finished = (await store.getRun(runId))!;
        this.emit(runId, { type: 'run.finished', state: 'cancelled', error: finished.error, timings: [], cost: { usd: 0, lines: [], unknown: [] }, browsers: [] });
        return finished;
      }
      return this.cancel(runId, by);
    }
    this.emit(runId, { type: 'run.cancel-requested', by });
    const driver = this.drivers.get(runId);
    if (driver) driver.cancel(by);
    else if (run.state === 'kept') await this.adopt(run, { kind: 'teardown', reason: `torn down by ${by}`, interrupted: false }, true);
    // Driven by another replica: it sees the request at its next heartbeat.
    else await store.updateRun(runId, { cancelRequestedBy: by });
    return (await store.getRun(runId))!;
  }

  /** Tears a kept run down now; a run still going is cancelled (its teardown follows). */
  async teardown(runId: string, by: string): Promise<Run> {
    return this.cancel(runId, by);
  }

  async extend(runId: string, byMs: number, by: string): Promise<Run> {
    const { store, config, clock } = this.svc;
    const run = await this.getRun(runId);
    if (run.state !== 'kept') throw new ConflictError(`run ${runId} is ${run.state}; only a kept run can be extended (launch it with --keep)`);
    const base = Math.max(run.expiresAt?.getTime() ?? 0, clock.now().getTime());
    const until = new Date(base + byMs);
    const limit = clock.now().getTime() + config.runs.keepMax;
    if (until.getTime() > limit) {
      throw new ConflictError(`run ${runId} would stay up until ${until.toISOString()}, past runs.keepMax (${formatDuration(config.runs.keepMax)} from now)`);
    }
    await this.svc.moveExpiry(run, until);
    const updated = await store.updateRun(runId, { expiresAt: until });
    this.emit(runId, { type: 'run.kept', until: until.toISOString() });
    this.svc.logger.info({ runId, until, by }, 'kept run extended');
    return updated;
  }

  /**
   * Keeps a run's environment up for `ms` after its tests instead of tearing it down (a chat
   * button); a kept run gets `ms` more. Too late once its teardown has started.
   */
  async keep(runId: string, ms: number, by: string): Promise<Run> {
    const { store, config } = this.svc;
    const run = await this.getRun(runId);
    if (run.state === 'kept') return this.extend(runId, ms, by);
    const tooLate = (state: string) =>
      new ConflictError(`run ${runId} is ${state === 'tearing_down' ? 'already tearing down' : state}; launch it again with --keep to keep an environment up`);
    if (run.state !== 'queued' && run.state !== 'running') throw tooLate(run.state);
    if (ms > config.runs.keepMax) throw new ConflictError(`${formatDuration(ms)} is past runs.keepMax (${formatDuration(config.runs.keepMax)})`);
    // The driver reads the options again when its tests are done (run-driver.ts), on whichever replica drives it.
    const updated = await store.updateRun(runId, { options: { ...run.options, keepMs: ms } });
    if (updated.state !== 'queued' && updated.state !== 'running') throw tooLate(updated.state);
    this.svc.logger.info({ runId, keepMs: ms, by }, 'run will be kept after its tests');
    return updated;
  }

  /** One pass of the background loop; tests call it directly instead of waiting for the timer. */
  tick(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.tickOnce()
      .catch((err) => this.svc.logger.error({ err }, 'engine tick failed'))
      .finally(() => {
        this.ticking = null;
      });
    return this.ticking;
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
    for (const [runId, driver] of this.drivers) {
      const run = leased.get(runId);
      if (!run) driver.abandon();
      else if (run.cancelRequestedBy && !driver.cancelling) driver.cancel(run.cancelRequestedBy);
    }
  }

  private async tickOnce(): Promise<void> {
    const { store, clock, config } = this.svc;
    const now = clock.now();
    await this.heartbeat();
    if (this.stopping) return;
    for (const run of await store.expiredLeases(now, config.runs.leaseTtl, ['running', 'tearing_down'])) {
      const mode: DriveMode =
        config.runs.onAdopt === 'resume' && run.state === 'running' && (await this.safeToResume(run.id))
          ? { kind: 'resume' }
          : { kind: 'teardown', reason: `its process (${run.leaseOwner ?? 'unknown'}) stopped`, interrupted: true };
      await this.adopt(run, mode, false);
    }
    for (const run of await store.listRuns({ states: ['kept'] })) {
      if (this.drivers.has(run.id)) continue;
      // A cancel can land on a run that became kept between being read as running and the write.
      if (run.cancelRequestedBy) await this.adopt(run, { kind: 'teardown', reason: `torn down by ${run.cancelRequestedBy}`, interrupted: false }, true);
      else if (run.expiresAt && run.expiresAt <= now) await this.adopt(run, { kind: 'teardown', reason: 'its --keep time ran out', interrupted: false }, true);
    }
    for (const run of await store.listRuns({ states: ['queued'] })) {
      if (run.cancelRequestedBy) await this.cancel(run.id, run.cancelRequestedBy).catch(() => undefined);
    }
    await this.pump();
  }

  private async safeToResume(runId: string): Promise<boolean> {
    const steps = await this.svc.store.getSteps(runId);
    const inFlight = steps.filter((s) => s.state === 'running' || s.state === 'failed');
    const all = [...this.svc.pipeline.parallel, ...this.svc.pipeline.chain, ...this.svc.pipeline.after];
    return inFlight.every((s) => all.find((p) => p.name === s.name)?.safeToRepeat === true);
  }

  private async adopt(run: Run, mode: DriveMode, kept: boolean): Promise<void> {
    const { store, clock, config, ownerId } = this.svc;
    if (this.drivers.has(run.id)) return;
    if (!run.env || !config.environments[run.env]) {
      // No driver can tear down an environment the configuration no longer has; the sweeper reaps the
      // run's assets by their tags once they expire. Adopting it would only fail again at every tick.
      if (!this.unadoptable.has(run.id)) this.svc.logger.warn({ runId: run.id, env: run.env }, 'run of an unconfigured environment left to the sweeper');
      this.unadoptable.add(run.id);
      return;
    }
    if (!(await store.acquireLease(run.id, ownerId, clock.now(), config.runs.leaseTtl))) return;
    if (!kept) {
      this.emit(run.id, {
        type: 'run.adopted',
        previousOwner: run.leaseOwner,
        action: mode.kind === 'resume' ? 'resume' : 'teardown',
        reason: mode.kind === 'teardown' ? mode.reason : `its process (${run.leaseOwner ?? 'unknown'}) stopped`,
      });
    }
    this.startDriver((await store.getRun(run.id))!, mode);
  }

  /** Starts queued runs whose environment can be claimed, oldest first. */
  private async pump(onlyRunId?: string): Promise<void> {
    if (this.stopping) return;
    const { store, config, clock, ownerId } = this.svc;
    for (const run of await store.queuedRuns()) {
      if (onlyRunId && run.id !== onlyRunId) continue;
      const candidates = run.env ? [run.env] : (run.options.pool ?? config.pool);
      for (const env of candidates) {
        const claimed = await store.claimLock({ env, holder: run.id, holderKind: 'run', reason: null, sticky: false, since: clock.now() });
        if (!claimed) continue;
        const now = clock.now();
        // The lease before the state: a `running` run without an owner is what another replica's tick
        // adopts as orphaned, and would tear down while this one starts driving it.
        const leased = await store.acquireLease(run.id, ownerId, now, config.runs.leaseTtl);
        const started =
          leased &&
          (await store.transitionRun(run.id, ['queued'], 'running', {
            env,
            startedAt: now,
            expiresAt: new Date(now.getTime() + config.runs.timeout + (run.options.keepMs ?? 0)),
          }));
        if (!started) {
          // A concurrent pump (here or on another replica) started it — claimLock and acquireLease say
          // yes to the holder and owner they already have — or it was cancelled. Only what the run no
          // longer needs is given back.
          const current = await store.getRun(run.id);
          if (!current || isFinished(current.state)) await store.releaseLock(env, run.id);
          break;
        }
        const current = (await store.getRun(run.id))!;
        this.emit(run.id, { type: 'run.started', env, browsers: current.options.browsers });
        this.svc.metrics?.runsStarted.inc({ env, source: current.source });
        this.startDriver(current, { kind: 'fresh' });
        break;
      }
    }
  }

  private startDriver(run: Run, mode: DriveMode): void {
    const driver = new RunDriver(this.svc, run);
    this.drivers.set(run.id, driver);
    if (!this.background && !this.heartbeatTimer) {
      this.heartbeatTimer = setInterval(() => void this.heartbeat().catch((err) => this.svc.logger.warn({ err }, 'heartbeat failed')), this.tickMs);
      this.heartbeatTimer.unref();
    }
    const done = driver
      .drive(mode)
      .then((finished) => {
        if (isFinished(finished.state)) this.runSecrets.delete(finished.id);
        this.resolveWaiters(finished);
      })
      .catch(async (err) => {
        if (err instanceof RunAbandoned) return;
        this.svc.logger.error({ err, runId: run.id }, 'run driver failed');
        // Every heartbeat would renew the lease of a run nobody drives any more; given up, the run is
        // adopted (and torn down) by the next tick here or on another replica.
        await this.svc.store.releaseLease(run.id, this.svc.ownerId).catch((e) => this.svc.logger.warn({ err: e, runId: run.id }, 'could not release the lease of a failed run'));
      })
      .finally(() => {
        this.drivers.delete(run.id);
        this.driving.delete(run.id);
        if (this.drivers.size === 0 && this.heartbeatTimer) {
          clearInterval(this.heartbeatTimer);
          this.heartbeatTimer = null;
        }
        // An environment may have freed up.
        if (this.background && !this.stopping) void this.pump().catch((err) => this.svc.logger.error({ err }, 'queue pump failed'));
      });
    this.driving.set(run.id, done);
  }

  private async firstFreeEnv(pool: string[]): Promise<string | null> {
    const held = new Set((await this.svc.store.listLocks()).map((l) => l.env));
    return pool.find((env) => !held.has(env)) ?? null;
  }

  private async queuePosition(runId: string): Promise<number> {
    const queued = await this.svc.store.queuedRuns();
    return queued.findIndex((r) => r.id === runId) + 1;
  }

  private async getRun(runId: string): Promise<Run> {
    const run = await this.svc.store.getRun(runId);
    if (!run) throw new NotFoundError(`no run ${runId}; \`list\` shows the current ones`);
    return run;
  }

  private resolveWaiters(run: Run): void {
    const list = this.waiters.get(run.id);
    if (!list) return;
    this.waiters.delete(run.id);
    for (const resolve of list) resolve(run);
  }

  private emit(runId: string, body: RunEventBody): void {
    const at = this.svc.clock.now();
    this.publish({ ...body, runId, at } as EngineEvent);
    // The timeline is best effort: a store hiccup must not stop a run (the run's state is what counts).
    const previous = this.eventChains.get(runId) ?? Promise.resolve();
    const next = previous
      .then(() => this.svc.store.appendEvent(runId, body.type, body as unknown as Record<string, unknown>, at))
      .catch((err) => this.svc.logger.warn({ err, runId, type: body.type }, 'could not store run event'));
    this.eventChains.set(runId, next);
    void next.finally(() => {
      if (this.eventChains.get(runId) === next) this.eventChains.delete(runId);
    });
  }

  private publish(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.svc.logger.warn({ err }, 'event listener failed');
      }
    }
  }
}
