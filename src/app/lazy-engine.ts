// An engine built the first time a command needs one. `list`, `status`, `lock`, `assets`… read the
// store only and never load the pipeline, the AWS SDK or SSH; `launch`, `cancel`, `extend`… build the
// engine when they act. What the executor reads of an engine it has not built comes from the config,
// the clock and the default pipeline's step names.
import type { ExecutorEngine } from '../commands/executor.ts';
import type { Config } from '../config/index.ts';
import type { Clock } from '../domain/clock.ts';
import type { Run } from '../domain/run.ts';
import type { BakeRequest, Engine, LaunchRequest, PromoteRequest, Recovered } from '../pipeline/engine.ts';
import { recoveryNeeded, type RecoveryStore } from '../pipeline/recovery-needed.ts';
import type { EventListener } from '../pipeline/events.ts';

export interface LazyEngineFacts {
  config: Config;
  clock: Clock;
  stepNames: readonly string[];
  /** Looked at before building an engine to recover what dead processes left (usually nothing). */
  store: RecoveryStore;
}

export class LazyEngine implements ExecutorEngine {
  readonly #build: () => Promise<Engine>;
  readonly #facts: LazyEngineFacts;
  #pending: Promise<Engine> | null = null;
  #engine: Engine | null = null;
  /** Listeners added before the engine exists, with their unsubscribe once it does. */
  readonly #early = new Map<EventListener, (() => void) | null>();

  constructor(build: () => Promise<Engine>, facts: LazyEngineFacts) {
    this.#build = build;
    this.#facts = facts;
  }

  /** The engine, built on the first call. */
  engine(): Promise<Engine> {
    this.#pending ??= this.#build().then((engine) => {
      this.#engine = engine;
      for (const listener of this.#early.keys()) this.#early.set(listener, engine.on(listener));
      return engine;
    });
    return this.#pending;
  }

  /** The engine if a command built it (to stop it on close), else null. */
  get built(): Engine | null {
    return this.#engine;
  }

  get config(): Config {
    return this.#facts.config;
  }

  get stepNames(): string[] {
    return this.#engine?.stepNames ?? [...this.#facts.stepNames];
  }

  now(): Date {
    return this.#facts.clock.now();
  }

  launch(req: LaunchRequest): Promise<{ run: Run; position: number | null }> {
    return this.engine().then((e) => e.launch(req));
  }

  bake(req: BakeRequest): Promise<{ run: Run; position: number | null }> {
    return this.engine().then((e) => e.bake(req));
  }

  promote(req: PromoteRequest): Promise<{ run: Run; position: number | null }> {
    return this.engine().then((e) => e.promote(req));
  }

  cancel(runId: string, by: string, reason: string | null = null): Promise<Run> {
    return this.engine().then((e) => e.cancel(runId, by, reason));
  }

  teardown(runId: string, by: string): Promise<Run> {
    return this.engine().then((e) => e.teardown(runId, by));
  }

  extend(runId: string, byMs: number, by: string): Promise<Run> {
    return this.engine().then((e) => e.extend(runId, byMs, by));
  }

  retest(runId: string, opts: { browsers: string[] | null; grep: string | null }, by: string): Promise<Run> {
    return this.engine().then((e) => e.retest(runId, opts, by));
  }

  keep(runId: string, ms: number, by: string): Promise<Run> {
    return this.engine().then((e) => e.keep(runId, ms, by));
  }

  unlock(env: string, holder: string): Promise<boolean> {
    return this.engine().then((e) => e.unlock(env, holder));
  }

  queueStatus(runId: string): ReturnType<Engine['queueStatus']> {
    return this.engine().then((e) => e.queueStatus(runId));
  }

  /** An engine not built drives nothing. */
  drives(runId: string): boolean {
    return this.#engine?.drives(runId) ?? false;
  }

  /** Builds the engine only when the store shows something to recover and no server to do it. */
  async recoverAbandoned(except?: string): Promise<Recovered[]> {
    if (!this.#engine && !(await recoveryNeeded(this.#facts.store, this.#facts.config, this.#facts.clock.now()))) return [];
    return (await this.engine()).recoverAbandoned(except);
  }

  waitForRun(runId: string): Promise<Run> {
    return this.engine().then((e) => e.waitForRun(runId));
  }

  /** Nothing to flush before the engine exists: no event has been emitted. */
  flush(): Promise<void> {
    return this.#engine ? this.#engine.flush() : Promise.resolve();
  }

  on(listener: EventListener): () => void {
    if (this.#engine) return this.#engine.on(listener);
    this.#early.set(listener, null);
    return () => {
      const off = this.#early.get(listener);
      this.#early.delete(listener);
      off?.();
    };
  }
}
