// The queue and the environment locks: queued runs start, oldest first, as soon as their environment
// (or one of their pool's) can be claimed; the claim, the lease and the state change are each atomic
// in the store, so replicas racing for the same run start it once. Whatever frees an environment in
// this process (an unlock, a run's end, a dropped queued run) wakes the queue at once; an environment
// freed by another process is seen at the next tick.
import { isFinished, type Run } from '../../domain/run.ts';
import type { EngineServices } from '../engine-services.ts';
import { stepNames } from '../pipeline.ts';
import { forecastQueue } from '../queue-forecast.ts';
import type { DriverPool, EngineState } from './drivers.ts';

export class Scheduler {
  private readonly svc: EngineServices;
  private readonly state: EngineState;
  private readonly pool: DriverPool;
  /** The pump a wake started, while it goes; `again`: another wake came meanwhile. */
  private waking: Promise<void> | null = null;
  private again = false;

  constructor(svc: EngineServices, state: EngineState, pool: DriverPool) {
    this.svc = svc;
    this.state = state;
    this.pool = pool;
  }

  /** Starts queued runs whose environment can be claimed, oldest first (only `onlyRunId`, when given). */
  async pump(onlyRunId?: string): Promise<void> {
    if (this.state.stopping) return;
    const { store, config, clock, ownerId } = this.svc;
    // Environments an older queued run waits for in another process's foreground: not given to a younger one.
    const reserved = new Set<string>();
    for (const run of await store.queuedRuns()) {
      // Leased from its creation: its requester waits for it in the foreground and starts it itself.
      if (run.leaseOwner !== null && run.leaseOwner !== ownerId) {
        if (run.env) reserved.add(run.env);
        continue;
      }
      if (onlyRunId && run.id !== onlyRunId) continue;
      const candidates = (run.env ? [run.env] : (run.options.pool ?? config.pool)).filter((env) => !reserved.has(env));
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
        this.svc.emit(run.id, { type: 'run.started', env, browsers: current.options.browsers });
        this.svc.metrics?.runsStarted.inc({ env, source: current.source });
        this.pool.start(current, { kind: 'fresh' });
        break;
      }
    }
  }

  /**
   * An environment may have freed up: pump now, once per burst (wakes that come while a pump goes get
   * one more pass after it). Only a long-lived engine starts other people's runs; a short-lived one
   * (the CLI) starts only its own, from its wait.
   */
  wake(): void {
    if (!this.state.background || this.state.stopping) return;
    if (this.waking) {
      this.again = true;
      return;
    }
    this.waking = (async () => {
      do {
        this.again = false;
        await this.pump();
      } while (this.again && !this.state.stopping);
    })()
      .catch((err) => this.svc.logger.error({ err }, 'queue pump failed'))
      .finally(() => {
        this.waking = null;
      });
  }

  /** Frees a person's lock on `env` (only if `holder` has it) and wakes the queue; false when it was not theirs to free. */
  async unlock(env: string, holder: string): Promise<boolean> {
    const released = await this.svc.store.releaseLock(env, holder);
    if (released) this.wake();
    return released;
  }

  /** The first environment of `pool` nobody holds (a pool launch's run id names it). */
  async firstFreeEnv(pool: string[]): Promise<string | null> {
    const held = new Set((await this.svc.store.listLocks()).map((l) => l.env));
    return pool.find((env) => !held.has(env)) ?? null;
  }

  /** A queued run's place and estimated wait (queue-forecast.ts, from the environments' step history), and who holds its environment when a person does. */
  async queueStatus(run: Run): Promise<{ position: number; etaMs: number | null; heldBy: string | null }> {
    const { store, config, clock } = this.svc;
    const wants = (r: Run) => (r.env ? [r.env] : (r.options.pool ?? config.pool));
    const mine = new Set(wants(run));
    const queued = await store.queuedRuns();
    const position = queued.findIndex((r) => r.id === run.id) + 1;
    const locks = (await store.listLocks()).filter((l) => mine.has(l.env));
    const person = locks.length === mine.size ? locks.find((l) => l.holderKind === 'person') : undefined;
    const forecast = await forecastQueue(store, config, stepNames(this.svc.pipeline), clock.now());
    const etaMs = person ? null : (forecast.etas.get(run.id) ?? null);
    return { position, etaMs, heldBy: person ? `${person.holder}${person.reason ? ` (${person.reason})` : ''}` : null };
  }

  /** 1-based place of a queued run. */
  async queuePosition(runId: string): Promise<number> {
    const queued = await this.svc.store.queuedRuns();
    return queued.findIndex((r) => r.id === runId) + 1;
  }
}
