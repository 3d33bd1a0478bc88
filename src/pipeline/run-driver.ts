// Drives one run from its start (or its adoption after a crash) to its end: the steps, the
// teardown that always follows, the final state. One driver per run per process.
import type { Run, RunState } from '../domain/run.ts';
import type { AssetKind } from '../domain/asset.ts';
import type { AwsClients } from '../aws/clients.ts';
import { fencedAwsClients } from '../aws/fenced-clients.ts';
import { runTags } from '../aws/tags.ts';
import type { Clock } from '../domain/clock.ts';
import type { EngineServices } from './engine-services.ts';
import type { RunEventBody } from './events.ts';
import type { PipelineStep, RunContext, StepOutputs } from './run-context.ts';
import { stepNames, type Pipeline } from './pipeline.ts';
import { environmentOfRun } from './run-environment.ts';
import { imageRunStepNames } from '../domain/image.ts';
import { bakePipeline } from './steps/bake.ts';
import { promotePipeline } from './steps/promote.ts';
import { releaseRunLocks } from './run-locks.ts';
import { runRecords } from './run-records.ts';
import { poolRecords } from './pool-records.ts';
import { replenishPipeline } from './steps/replenish.ts';
import type { StepName, StepOutputsByName } from './step-outputs.ts';
import { runStep } from './step-runner.ts';
import { AccountCheckFailed, RunAbandoned, RunCancelled, RunFenced, RunHandedOver, RunInterrupted, RunTimedOut, SiblingFailed, errorLine } from './run-errors.ts';
import { summarizeRun } from './run-summary.ts';
import { retestStep } from './steps/tests.ts';
import { formatDuration } from '../domain/duration.ts';

export type DriveMode =
  /** A run that just left the queue. */
  | { kind: 'fresh' }
  /** Adopted after its owner stopped: redo from the first step not done. */
  | { kind: 'resume' }
  /**
   * Only tear down: a run adopted after its owner stopped (`interrupted`: it ends failed), or a kept
   * run whose time is up or that someone tore down (it ends as its tests did).
   */
  | { kind: 'teardown'; reason: string; interrupted: boolean; cancelledBy?: string; cancelReason?: string }
  /**
   * A kept run's tests again (`retest`), on its environment as it stands: these browsers, maybe only the
   * tests `grep` matches, stopped after `withinMs`. The run stays kept; a cancel meanwhile tears it down.
   */
  | { kind: 'retest'; browsers: string[]; grep: string | null; withinMs: number };

/** The teardown of a run that created nothing: recorded as skipped, like any step with nothing to do. */
function nothingToTearDown(name: 'teardown'): PipelineStep<'teardown'> {
  return { name, safeToRepeat: true, run: async () => ({ outputs: { deleted: 0, alreadyGone: 0, failed: [] }, skipped: 'nothing was created' }) };
}

export class RunDriver {
  readonly runId: string;
  private run: Run;
  private readonly svc: EngineServices;
  private readonly abort = new AbortController();
  private readonly outputs = new Map<string, StepOutputs>();
  private readonly secrets: Map<string, string>;
  private abandoned = false;
  /** The lease epoch this driver acts under; aborted with RunFenced once the store says it is gone. */
  private readonly epoch: number;
  private readonly fenceAbort = new AbortController();
  /** AWS as the run's steps see it: every mutating call fenced. */
  private readonly aws: AwsClients;
  /** Time as the run's steps see it: every wait ends with a fence check. */
  private readonly clock: Clock;
  /** A step not safe to repeat is running: a planned stop waits for its end before handing the run over. */
  private unsafeStep: string | null = null;
  private handingOver = false;
  /** The steps of this run's kind: a launch's (the engine's pipeline) or a bake's. */
  private readonly pipeline: Pipeline;

  constructor(svc: EngineServices, run: Run) {
    this.svc = svc;
    this.pipeline = pipelineOf(svc, run);
    this.run = run;
    this.runId = run.id;
    this.secrets = svc.secretsOf(run.id);
    this.epoch = run.leaseEpoch;
    this.aws = fencedAwsClients(svc.aws, (operation) => this.fence(operation));
    this.clock = {
      now: () => svc.clock.now(),
      sleep: async (ms, signal) => {
        await svc.clock.sleep(ms, signal);
        await this.fence('the next check after a wait');
      },
    };
  }

  /**
   * The fence: passes (and renews the lease) only while the store says this process holds the run at
   * the epoch it started with. Otherwise the driver stops for good: RunFenced, logged and counted once.
   */
  async fence(at: string): Promise<void> {
    if (this.fenceAbort.signal.aborted) throw this.fenceAbort.signal.reason;
    const { svc } = this;
    if (await svc.store.holdsLease(this.runId, svc.ownerId, this.epoch, svc.clock.now())) return;
    this.lostLease(at);
    throw this.fenceAbort.signal.reason;
  }

  /** Another engine holds the run now (the heartbeat or a fence check saw it): stop without another change. */
  lostLease(at: string): void {
    if (this.fenceAbort.signal.aborted) return;
    const err = new RunFenced(this.runId, this.epoch, at);
    this.fenceAbort.abort(err);
    if (!this.abort.signal.aborted) this.abort.abort(err);
    this.svc.logger.info({ runId: this.runId, epoch: this.epoch, at }, `run ${this.runId}: fenced — another engine holds it now; stopped before ${at} without touching AWS`);
    this.svc.metrics?.runRecoveries.inc({ event: 'fenced' });
  }

  /** abandon() was called: the process is going away as in a crash (nothing is handed over). */
  get wasAbandoned(): boolean {
    return this.abandoned;
  }

  get leaseEpoch(): number {
    return this.epoch;
  }

  /** The error that ended this driver when it lost its lease, or null. */
  get fencedBy(): RunFenced | null {
    return this.fenceAbort.signal.aborted ? (this.fenceAbort.signal.reason as RunFenced) : null;
  }

  /**
   * A planned stop: leave the run for another replica to resume. A step that is safe to repeat stops at
   * once; one that is not (service-update) is let finish, so the resumer starts at a step boundary.
   */
  handOver(): void {
    this.handingOver = true;
    if (this.unsafeStep === null && !this.abort.signal.aborted) this.abort.abort(new RunHandedOver(`run ${this.runId} handed over`));
  }

  /** Stops a step not safe to repeat after all (the stop's grace ran out); `cutShort` names it for the resumer. */
  forceHandOver(): void {
    this.handingOver = true;
    this.cutShort = this.unsafeStep;
    if (!this.abort.signal.aborted) this.abort.abort(new RunHandedOver(`run ${this.runId} handed over`));
  }

  /** The step not safe to repeat that a forced handover cut short, if any. */
  cutShort: string | null = null;

  /** Stops the step in flight; teardown follows. */
  cancel(by: string, reason: string | null = null): void {
    if (!this.abort.signal.aborted) this.abort.abort(new RunCancelled(by, reason));
  }

  /** Stops driving without teardown (process going away, or the lease went to another engine). */
  abandon(): void {
    this.abandoned = true;
    if (!this.abort.signal.aborted) this.abort.abort(new RunAbandoned('run abandoned'));
  }

  /** In teardown: stopping now would leave half-deleted assets to a later adoption. */
  get tearingDown(): boolean {
    return this.run.state === 'tearing_down';
  }

  get cancelling(): boolean {
    return this.abort.signal.aborted;
  }

  async drive(mode: DriveMode): Promise<Run> {
    const { svc } = this;
    const env = environmentOfRun(svc.config, this.run);
    if (!env) throw new Error(`run ${this.runId} has no known environment (${this.run.env})`);
    for (const step of await svc.store.getSteps(this.runId)) this.outputs.set(step.name, step.outputs);
    if (mode.kind === 'retest') return this.retest(mode);

    const runTimer = setTimeout(() => this.abort.abort(new RunTimedOut(svc.config.runs.timeout)), this.remainingRunTime());
    runTimer.unref();
    let failure: unknown = null;
    let keep = false;
    try {
      if (mode.kind !== 'teardown') {
        await this.runPhases(mode.kind === 'resume');
        // Engine.keep (a chat button) may have asked for a keep while the run went, maybe on another replica.
        const latest = await svc.store.getRun(this.runId).catch(() => null);
        if (latest) this.run = { ...this.run, options: latest.options };
        keep = this.run.options.keepMs !== undefined && !this.abort.signal.aborted;
      }
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(runTimer);
    }
    this.throwIfLetGo(failure);

    const testsFailed = this.outputOf('tests')?.allPassed === false;
    if (keep && failure === null) {
      try {
        return await this.enterKept(testsFailed);
      } catch (err) {
        this.throwIfLetGo(err);
        // Nothing stays up that is not kept on purpose: a keep that did not take ends in teardown.
        // A cancel that came while moving the switch is a cancel, not a failed keep.
        failure = this.abort.signal.aborted ? this.abort.signal.reason : new Error(`could not keep the environment: ${errorLine(err)}`);
      }
    }

    const interrupted =
      mode.kind !== 'teardown' ? null : mode.cancelledBy ? new RunCancelled(mode.cancelledBy, mode.cancelReason ?? null) : mode.interrupted ? new RunInterrupted(mode.reason) : null;
    return this.tearDownAndFinish(failure ?? interrupted, testsFailed);
  }

  /**
   * This process no longer drives the run (another engine fenced it, it is being handed over, or the
   * process is going away): nothing more may be done here, not even a teardown.
   */
  private throwIfLetGo(failure: unknown): void {
    if (this.fencedBy) throw this.fencedBy;
    if (this.handingOver || failure instanceof RunHandedOver) throw new RunHandedOver(`run ${this.runId} handed over`);
    if (this.abandoned || failure instanceof RunAbandoned) throw new RunAbandoned(`run ${this.runId} abandoned`);
  }

  private async retest(mode: Extract<DriveMode, { kind: 'retest' }>): Promise<Run> {
    const { svc } = this;
    const timer = setTimeout(() => this.abort.abort(new Error(`the retest took longer than ${formatDuration(mode.withinMs)}`)), mode.withinMs);
    timer.unref();
    let failure: unknown = null;
    try {
      const result = await runStep(retestStep({ browsers: mode.browsers, grep: mode.grep }), this.context(this.abort.signal), svc.stepRunnerDeps);
      this.outputs.set('tests', result.outputs);
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(timer);
    }
    this.throwIfLetGo(failure);
    // Cancelled or torn down while it retested: the environment goes, as for any kept run.
    if (failure instanceof RunCancelled) return this.tearDownAndFinish(failure, this.outputOf('tests')?.allPassed === false);
    const error = failure !== null ? `retest: ${errorLine(failure)}` : this.outputOf('tests')?.allPassed === false ? this.testsError() : null;
    await this.fence('the end of the retest');
    this.run = await svc.store.updateRun(this.runId, { error });
    this.emit({ type: 'run.kept', until: (this.run.expiresAt ?? svc.clock.now()).toISOString() });
    await svc.store.releaseLease(this.runId, svc.ownerId);
    return this.run;
  }

  private remainingRunTime(): number {
    const started = this.run.startedAt ?? this.svc.clock.now();
    return Math.max(1_000, started.getTime() + this.svc.config.runs.timeout - this.svc.clock.now().getTime());
  }

  private async runPhases(resume: boolean): Promise<void> {
    const { pipeline } = this;
    await this.svc.checkAccount(this.env().region, this.abort.signal).catch((err: unknown) => {
      throw this.abort.signal.aborted ? err : new AccountCheckFailed(err);
    });
    // The parallel steps and the chain share a phase: when one fails, the others stop.
    const phase = new AbortController();
    const phaseSignal = AbortSignal.any([this.abort.signal, phase.signal]);
    const failFast = (step: string) => (err: unknown) => {
      if (!phase.signal.aborted) phase.abort(new SiblingFailed(step));
      throw err;
    };
    const results = await Promise.allSettled([
      ...pipeline.parallel.map((s) => this.step(s, phaseSignal, resume).catch(failFast(s.name))),
      (async () => {
        for (const s of pipeline.chain) await this.step(s, phaseSignal, resume).catch(failFast(s.name));
      })(),
    ]);
    // The first real failure is the story; the siblings it stopped only say "stopped because...".
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    const primary = failures.find((f) => !(f instanceof SiblingFailed)) ?? failures[0];
    if (primary !== undefined) throw primary;
    for (const s of pipeline.after) await this.step(s, this.abort.signal, resume);
  }

  private async step(step: PipelineStep, signal: AbortSignal, resume: boolean): Promise<void> {
    if (resume) {
      const done = (await this.svc.store.getStep(this.runId, step.name))?.state;
      if (done === 'succeeded' || done === 'skipped') return;
    }
    // A step boundary: where a planned stop hands the run over, and where a stale driver learns it is one.
    if (this.handingOver) throw new RunHandedOver(`run ${this.runId} handed over before ${step.name}`);
    if (!step.safeToRepeat) this.unsafeStep = step.name;
    try {
      const result = await runStep(step, this.context(signal), this.svc.stepRunnerDeps);
      this.outputs.set(step.name, result.outputs);
    } finally {
      if (this.unsafeStep === step.name) this.unsafeStep = null;
    }
    if (this.handingOver) throw new RunHandedOver(`run ${this.runId} handed over after ${step.name}`);
  }

  private async enterKept(testsFailed: boolean): Promise<Run> {
    const { svc } = this;
    const until = new Date(svc.clock.now().getTime() + (this.run.options.keepMs ?? 0));
    await this.fence('keeping the environment');
    await svc.moveExpiry(this.run, until, this.abort.signal, this.aws);
    this.run = await svc.store.updateRun(this.runId, { state: 'kept', expiresAt: until, error: testsFailed ? this.testsError() : null });
    this.emit({ type: 'run.kept', until: until.toISOString() });
    await svc.store.releaseLease(this.runId, svc.ownerId);
    return this.run;
  }

  private async tearDownAndFinish(cause: unknown, testsFailed: boolean): Promise<Run> {
    const { svc } = this;
    await this.fence('teardown');
    this.run = await svc.store.updateRun(this.runId, { state: 'tearing_down' });
    if (cause instanceof AccountCheckFailed && (await this.nothingRecorded())) {
      // No step ran, so no AWS call but STS was made: a teardown would only search (maybe in the
      // wrong account, maybe without credentials) and report its own failure to find nothing.
      await runStep(nothingToTearDown(this.pipeline.teardown.name), this.context(new AbortController().signal), svc.stepRunnerDeps);
      return this.finish('failed', `${cause.message}; nothing was created`);
    }
    // Teardown gets its own signal: a cancel or a timeout must not stop the cleanup itself.
    const teardownAbort = new AbortController();
    let teardownError: string | null = null;
    let completed: string | null = null;
    try {
      const result = await runStep(this.pipeline.teardown, this.context(teardownAbort.signal), svc.stepRunnerDeps);
      const { deleted = 0, failed = [] } = result.outputs;
      completed = result.outputs.completed ?? null;
      this.emit({ type: 'teardown.done', deleted, failed });
      if (failed.length > 0) teardownError = `teardown could not delete ${failed.join(', ')}; the sweeper will retry`;
    } catch (err) {
      if (err instanceof RunAbandoned) throw err;
      if (this.fencedBy) throw this.fencedBy;
      teardownError = `${errorLine(err)}; the sweeper will find what is left by its tags`;
      this.emit({ type: 'teardown.done', deleted: 0, failed: [teardownError] });
    }

    let state: RunState;
    let error: string | null;
    // Who cancelled and why stay on a cancelled run, for every front to show; any other end clears them.
    let cancel: { cancelRequestedBy: string | null; cancelReason: string | null } = { cancelRequestedBy: null, cancelReason: null };
    if (cause instanceof RunCancelled) {
      cancel = { cancelRequestedBy: cause.by, cancelReason: cause.reason };
      state = 'cancelled';
      // Cancelled after its work was done (a promotion that had published): the line says what stands.
      error = completed !== null ? `${cause.message}; ${completed}` : cause.message;
    } else if (cause instanceof RunInterrupted && completed !== null) {
      // Its process stopped after the work was done (a promotion that had published): not a failure.
      state = teardownError ? 'failed' : 'succeeded';
      error = `${completed} (the run was ${cause.message})`;
    } else if (cause !== null) {
      state = 'failed';
      error = errorLine(cause);
    } else if (testsFailed) {
      state = 'failed';
      error = this.testsError();
    } else {
      state = teardownError ? 'failed' : 'succeeded';
      error = null;
    }
    if (this.fencedBy) throw this.fencedBy;
    if (teardownError) error = error ? `${error}; ${teardownError}` : teardownError;
    return this.finish(state, error, cancel);
  }

  /** No step of this run ever started and no asset is on record (a resumed run has both). */
  private async nothingRecorded(): Promise<boolean> {
    const [steps, assets] = await Promise.all([this.svc.store.getSteps(this.runId), this.svc.store.getAssets(this.runId)]);
    return assets.length === 0 && steps.every((s) => s.state === 'pending');
  }

  private testsError(): string {
    return this.outputOf('tests')?.summary ?? 'tests failed';
  }

  private async finish(state: RunState, error: string | null, cancel: { cancelRequestedBy: string | null; cancelReason: string | null } = { cancelRequestedBy: null, cancelReason: null }): Promise<Run> {
    const { svc } = this;
    const now = svc.clock.now();
    // Compare-and-set: if another engine adopted this run and finished it first (a lease lost while
    // this teardown went on), its ending stands and this one says nothing more.
    const ended = await svc.store.transitionRun(this.runId, ['tearing_down'], state, { error, finishedAt: now, ...cancel }, { owner: svc.ownerId, epoch: this.epoch });
    if (!ended) {
      svc.logger.warn({ runId: this.runId, state }, 'run was finished by another engine; not finishing it again');
      this.run = (await svc.store.getRun(this.runId)) ?? this.run;
      return this.run;
    }
    this.run = (await svc.store.getRun(this.runId))!;
    const summary = await summarizeRun(svc.store, { config: svc.config, prices: svc.prices, stepNames: imageRunStepNames(this.run.kind) ?? stepNames(this.pipeline), now: svc.clock.now() }, this.run);
    this.emit({ type: 'run.finished', state, error, timings: summary.timings, cost: summary.cost, browsers: summary.browsers });
    svc.metrics?.runsFinished.inc({ env: this.run.env ?? 'none', state });
    await releaseRunLocks(svc.store, this.runId);
    await svc.store.releaseLease(this.runId, svc.ownerId);
    return this.run;
  }

  /** A step's outputs, from this process or (after a resume) from the store; typed by the step's name. */
  private outputOf<N extends StepName>(step: N): StepOutputsByName[N] | undefined {
    return this.outputs.get(step) as StepOutputsByName[N] | undefined;
  }

  private env() {
    return environmentOfRun(this.svc.config, this.run)!;
  }

  private emit(body: RunEventBody): void {
    this.svc.emit(this.runId, body);
  }

  private context(signal: AbortSignal): RunContext {
    const { svc } = this;
    const run = this.run;
    const env = this.env();
    // Every step stops the moment the fence falls, whatever else its signal is tied to.
    signal = AbortSignal.any([signal, this.fenceAbort.signal]);
    const expiresAt = run.expiresAt ?? new Date((run.startedAt ?? svc.clock.now()).getTime() + svc.config.runs.timeout + (run.options.keepMs ?? 0));
    const record = async (kind: AssetKind, id: string, deleted: boolean, region = env.region) => {
      const at = svc.clock.now();
      if (deleted) {
        if ((await svc.store.markAssetDeleted(kind, id, at)) > 0) this.emit({ type: 'asset.deleted', kind, id, region });
      } else if (await svc.store.recordAsset({ runId: run.id, kind, id, region, createdAt: at, deletedAt: null })) {
        this.emit({ type: 'asset.created', kind, id, region });
      }
    };
    return {
      run,
      env,
      config: svc.config,
      aws: this.aws,
      records: runRecords(svc.store, run.id, svc.clock, poolRecords({ store: svc.store, clock: svc.clock, handoverKey: svc.handoverKey, claimed: () => svc.wakePool?.() }, run, env.name)),
      clock: this.clock,
      logger: svc.logger.child({ runId: run.id }),
      signal,
      expiresAt,
      tags: (name: string) =>
        runTags({ installation: svc.config.installation, runId: run.id, env: env.name, requester: run.requester, source: run.source, expiresAt, name, ...(run.kind === 'replenish' ? { pool: env.name } : {}) }),
      outputOf: (step) => this.outputOf(step),
      recordAsset: (kind, id, region) => record(kind, id, false, region),
      assetDeleted: (kind, id, region) => record(kind, id, true, region),
      emit: (event) => this.emit(event),
      log: (line, step) => svc.emitLog(run.id, step ?? 'run', line),
      warn: (line, step) => {
        svc.logger.info({ runId: run.id, step }, line);
        this.emit({ type: 'step.warning', step: step ?? 'run', message: line });
      },
      secrets: this.secrets,
      testRunner: svc.testRunner,
      manifest: svc.manifest,
      fence: (at) => this.fence(at),
    };
  }
}

/** The steps a run of this kind goes through. */
export function pipelineOf(svc: Pick<EngineServices, 'pipeline'>, run: Pick<Run, 'kind'>): Pipeline {
  if (run.kind === 'bake') return bakePipeline();
  if (run.kind === 'promote') return promotePipeline();
  return run.kind === 'replenish' ? replenishPipeline() : svc.pipeline;
}
