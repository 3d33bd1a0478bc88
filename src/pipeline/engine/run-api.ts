// What the engine's callers ask of runs: launch or bake (queue it and start it when its environment is
// free), cancel / tear down, and wait for a run's end. A kept run's own verbs are in kept-runs.ts.
import { bakeEnvName } from '../run-environment.ts';
import { newRunId } from '../../domain/run-id.ts';
import { isFinished, type Requester, type Run, type Source } from '../../domain/run.ts';
import type { PromoteChannel } from '../../domain/image.ts';
import { ConflictError, NotFoundError, UserError } from '../../errors.ts';
import { manifestBackend } from '../../images/manifest-backend.ts';
import { promotionSource } from '../../images/promote.ts';
import type { EngineServices } from '../engine-services.ts';
import { releaseRunLocks } from '../run-locks.ts';
import { RunCancelled } from '../run-errors.ts';
import type { DriverPool, EngineState } from './drivers.ts';
import type { Recovery } from './recovery.ts';
import { runOrNotFound } from './kept-runs.ts';
import type { Scheduler } from './scheduler.ts';

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
  /** At most one active run per key (a pull request's `/e2e`); a second launch gets ActiveRunExists. */
  concurrencyKey?: string | null;
  /** `--ami`: an AMI id, or `candidate`. */
  ami?: string;
}

export interface BakeRequest {
  image: string;
  ref: string | null;
  requester: Requester;
  source: Source;
}

export interface PromoteRequest {
  image: string;
  /** `candidate`, or an AMI id the manifest has (in any channel and region). */
  source: string;
  to: PromoteChannel;
  requester: Requester;
  source_: Source;
}

export class RunApi {
  private readonly svc: EngineServices;
  private readonly state: EngineState;
  private readonly pool: DriverPool;
  private readonly scheduler: Scheduler;
  /** Set once the recovery (which also calls back into cancel) exists. */
  recovery!: Recovery;

  constructor(svc: EngineServices, state: EngineState, pool: DriverPool, scheduler: Scheduler) {
    this.svc = svc;
    this.state = state;
    this.pool = pool;
    this.scheduler = scheduler;
  }

  /** Queues a launch and starts it when its environment is free. Returns the run and its queue position. */
  async launch(req: LaunchRequest): Promise<{ run: Run; position: number | null }> {
    if (this.state.stopping) throw new UserError('stagebot is shutting down; try again in a minute');
    const { config, store, clock } = this.svc;
    const pool = req.pool ?? config.pool;
    // A run of an environment the config does not have could never start its driver, and would sit
    // `running` with the lock and a lease its engine keeps renewing.
    const unknown = [...(req.env !== null ? [req.env] : pool)].filter((env) => !config.environments[env]);
    if (unknown.length > 0 || (req.env === null && pool.length === 0)) {
      throw new NotFoundError(`no environment ${unknown.join(', ') || '(empty pool)'}; valid: ${Object.keys(config.environments).join(', ')}`);
    }
    const now = clock.now();
    const idEnv = req.env ?? (await this.scheduler.firstFreeEnv(pool)) ?? 'pool';
    // A short-lived engine's requester waits in the foreground: the run is leased to it from the start,
    // so no other process ever starts it, and it is dropped if that process dies while it waits.
    const foreground = !this.state.background;
    const run = await store.createRun({
      ...(foreground ? { leaseOwner: this.svc.ownerId } : {}),
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
        ...(req.ami !== undefined ? { ami: req.ami } : {}),
      },
      concurrencyKey: req.concurrencyKey ?? null,
    });
    return this.enqueue(run, foreground);
  }

  /**
   * Queues a bake of `image` (a run of kind `bake`): it holds the image's own lock, so two bakes of one
   * image never run at once, and is driven, leased, fenced and adopted like any run.
   */
  async bake(req: BakeRequest): Promise<{ run: Run; position: number | null }> {
    if (this.state.stopping) throw new UserError('stagebot is shutting down; try again in a minute');
    const { config, store, clock } = this.svc;
    if (!config.images[req.image]) throw new NotFoundError(`no image ${req.image}; valid: ${Object.keys(config.images).join(', ') || 'none (stagebot.yml images:)'}`);
    const now = clock.now();
    const foreground = !this.state.background;
    const idPart = `bake-${req.image}`.slice(0, 32).replace(/-+$/, '');
    const run = await store.createRun({
      ...(foreground ? { leaseOwner: this.svc.ownerId } : {}),
      id: newRunId(idPart, now),
      kind: 'bake',
      env: bakeEnvName(req.image),
      requester: req.requester,
      source: req.source,
      createdAt: now,
      options: { browsers: [], image: req.image, ...(req.ref !== null ? { ref: req.ref } : {}) },
    });
    return this.enqueue(run, foreground);
  }

  /**
   * Queues a promotion of `image` (a run of kind `promote`): it holds the image's lock, as a bake does,
   * so a bake and a promotion of one image (or two promotions) never run at once. An AMI the manifest
   * does not have is refused here, in one line, before anything is queued.
   */
  async promote(req: PromoteRequest): Promise<{ run: Run; position: number | null }> {
    if (this.state.stopping) throw new UserError('stagebot is shutting down; try again in a minute');
    const { config, store, clock } = this.svc;
    const image = config.images[req.image];
    if (!image) throw new NotFoundError(`no image ${req.image}; valid: ${Object.keys(config.images).join(', ') || 'none (stagebot.yml images:)'}`);
    promotionSource(await (this.svc.manifest ?? manifestBackend(config, store)).read(), req.image, req.source, image.regions[0]!);
    const now = clock.now();
    const foreground = !this.state.background;
    const idPart = `promote-${req.image}`.slice(0, 32).replace(/-+$/, '');
    const run = await store.createRun({
      ...(foreground ? { leaseOwner: this.svc.ownerId } : {}),
      id: newRunId(idPart, now),
      kind: 'promote',
      env: bakeEnvName(req.image),
      requester: req.requester,
      source: req.source_,
      createdAt: now,
      options: { browsers: [], image: req.image, promote: { source: req.source, to: req.to } },
    });
    return this.enqueue(run, foreground);
  }

  /** Starts the new run if its environment is free, else tells where it waits (a foreground run is waited for here). */
  private async enqueue(run: Run, foreground: boolean): Promise<{ run: Run; position: number | null }> {
    await this.scheduler.pump(this.state.background ? undefined : run.id);
    const current = (await this.svc.store.getRun(run.id))!;
    const position = current.state === 'queued' ? await this.scheduler.queuePosition(run.id) : null;
    if (position !== null) {
      if (foreground) this.pool.wait(run.id);
      this.svc.emit(run.id, { type: 'run.queued', position, env: run.env });
    }
    return { run: current, position };
  }

  /** Resolves with the run once it has finished or is kept. */
  waitForRun(runId: string): Promise<Run> {
    return new Promise((resolve, reject) => {
      const done = (run: Run) => {
        clearInterval(poll);
        resolve(run);
      };
      this.pool.onEnd(runId, done);
      const check = async () => {
        // A run this engine drives resolves when its driver is done (lock and lease released), not
        // when the store first shows its final state.
        if (this.pool.has(runId)) return;
        // Still queued: a short-lived engine has no background loop to start it when its
        // environment frees up, so it tries here; a run driven elsewhere is followed in the store.
        if (!this.state.background) await this.scheduler.pump(runId);
        const run = await this.svc.store.getRun(runId);
        if (!run) throw new NotFoundError(`no run ${runId}`);
        if ((isFinished(run.state) || run.state === 'kept') && !this.pool.has(runId)) this.pool.resolveWaiters(run);
      };
      const fail = (err: unknown) => {
        clearInterval(poll);
        reject(err);
      };
      const poll = setInterval(() => void check().catch(fail), this.state.tickMs);
      // A server's waiters ride on its HTTP server; a CLI waiting in the queue has nothing else keeping
      // the process alive (Node would exit 13, "unsettled top-level await", and leave the run queued).
      if (this.state.background) poll.unref();
      check().catch(fail);
    });
  }

  /** Cancels a run: `by` who asked (a requester), `reason` why when there is one ("the pull request was closed"). */
  async cancel(runId: string, by: string, reason: string | null = null): Promise<Run> {
    const { store } = this.svc;
    const run = await runOrNotFound(this.svc, runId);
    if (isFinished(run.state)) throw new ConflictError(`run ${runId} already ${run.state}; nothing to cancel`);
    const cancelled = new RunCancelled(by, reason);
    if (run.state === 'queued') {
      this.pool.unwait(runId);
      const patch = { finishedAt: this.svc.clock.now(), error: cancelled.message, cancelRequestedBy: by, cancelReason: reason };
      if (await store.transitionRun(runId, ['queued'], 'cancelled', patch)) {
        // A pump that died between claiming an environment and starting the run left it claimed.
        await releaseRunLocks(store, runId);
        this.scheduler.wake();
        const finished = (await store.getRun(runId))!;
        this.svc.emit(runId, { type: 'run.finished', state: 'cancelled', error: finished.error, timings: [], cost: { usd: 0, lines: [], unknown: [] }, browsers: [] });
        return finished;
      }
      return this.cancel(runId, by, reason);
    }
    // Written first, whoever drives the run: every replica's fronts show who is cancelling and why,
    // and the replica driving it (maybe another) acts on it at its next heartbeat.
    if (!(await store.transitionRun(runId, [run.state], run.state, { cancelRequestedBy: by, cancelReason: reason }))) return this.cancel(runId, by, reason);
    this.svc.emit(runId, { type: 'run.cancel-requested', by, reason });
    const driver = this.pool.get(runId);
    if (driver) driver.cancel(by, reason);
    else if (run.state === 'kept') await this.recovery.adopt(run, { kind: 'teardown', reason: `torn down by ${by}`, interrupted: false }, true);
    // Its process died: nobody would ever act on the request, so the teardown happens here, now.
    else await this.recovery.takeOverToCancel(run, by, reason);
    return (await store.getRun(runId))!;
  }

  /** Where a queued run stands: its place, and when it may start (null: nothing to go by, or a person holds the environment). */
  async queueStatus(runId: string): Promise<{ position: number; etaMs: number | null; heldBy: string | null } | null> {
    const run = await this.svc.store.getRun(runId);
    if (!run || run.state !== 'queued') return null;
    return this.scheduler.queueStatus(run);
  }

}
