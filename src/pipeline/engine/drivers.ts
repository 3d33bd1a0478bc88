// The runs this process drives: one RunDriver each, the promise of its drive, who waits for its end,
// their in-process secrets, and (for a short-lived engine without a background loop) the heartbeat
// that keeps their leases.
import { isFinished, type Run } from '../../domain/run.ts';
import type { EngineServices } from '../engine-services.ts';
import { RunAbandoned, RunFenced } from '../run-errors.ts';
import { RunDriver, type DriveMode } from '../run-driver.ts';

/** What every part of the engine reads of its lifecycle. */
export interface EngineState {
  /** stop() or abandon() was called: no new work is taken. */
  stopping: boolean;
  /** A long-lived engine (the server) with a background loop; false for the CLI's. */
  readonly background: boolean;
  readonly tickMs: number;
}

export interface DriverPoolHooks {
  /** Renews the leases of the runs driven here (the short-lived engine's heartbeat timer calls it). */
  heartbeat(): Promise<void>;
  /** A driver ended: an environment may have freed up. */
  settled(): void;
}

export class DriverPool {
  private readonly drivers = new Map<string, RunDriver>();
  private readonly driving = new Map<string, Promise<void>>();
  private readonly waiters = new Map<string, ((run: Run) => void)[]>();
  /**
   * Secrets of the runs this engine drove (an ephemeral key): a kept run's driver is gone, but extend
   * still needs the key to move its dead man's switch. Dropped when the run finishes.
   */
  private readonly runSecrets = new Map<string, Map<string, string>>();
  /** Heartbeats of a short-lived engine (no background loop) while it drives runs or waits in the queue. */
  private heartbeatTimer: NodeJS.Timeout | null = null;
  /** Queued runs this (short-lived) engine requested and waits for: their leases say the requester lives. */
  private readonly waiting = new Set<string>();
  /** Runs whose driver here stopped because another engine holds them now. */
  private readonly fenced = new Set<string>();
  private readonly svc: EngineServices;
  private readonly state: EngineState;
  private readonly hooks: DriverPoolHooks;

  constructor(svc: EngineServices, state: EngineState, hooks: DriverPoolHooks) {
    this.svc = svc;
    this.state = state;
    this.hooks = hooks;
  }

  has(runId: string): boolean {
    return this.drivers.has(runId);
  }

  get(runId: string): RunDriver | undefined {
    return this.drivers.get(runId);
  }

  entries(): IterableIterator<[string, RunDriver]> {
    return this.drivers.entries();
  }

  /** The promise of a run's drive here (settled when the driver is done with it). */
  driveOf(runId: string): Promise<void> {
    return this.driving.get(runId) ?? Promise.resolve();
  }

  /** The drives still going. */
  inFlight(): Promise<void>[] {
    return [...this.driving.values()];
  }

  start(run: Run, mode: DriveMode): void {
    const driver = new RunDriver(this.svc, run);
    this.drivers.set(run.id, driver);
    this.waiting.delete(run.id);
    this.ensureHeartbeat();
    const done = driver
      .drive(mode)
      .then((finished) => {
        if (isFinished(finished.state)) this.runSecrets.delete(finished.id);
        this.resolveWaiters(finished);
      })
      .catch(async (err) => {
        if (err instanceof RunFenced) this.fenced.add(run.id);
        if (err instanceof RunAbandoned) return;
        this.svc.logger.error({ err, runId: run.id }, 'run driver failed');
        // Every heartbeat would renew the lease of a run nobody drives any more; given up, the run is
        // adopted (and torn down) by the next tick here or on another replica.
        await this.svc.store.releaseLease(run.id, this.svc.ownerId).catch((e) => this.svc.logger.warn({ err: e, runId: run.id }, 'could not release the lease of a failed run'));
      })
      .finally(() => {
        this.drivers.delete(run.id);
        this.driving.delete(run.id);
        if (this.drivers.size === 0 && this.waiting.size === 0) this.stopHeartbeat();
        this.hooks.settled();
        // A follower of a run fenced here learns its end from the store (its new owner finishes it).
      });
    this.driving.set(run.id, done);
  }

  /** A short-lived engine heartbeats while it drives or waits: its leases are how others know it lives. */
  private ensureHeartbeat(): void {
    if (this.state.background || this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(() => void this.hooks.heartbeat().catch((err) => this.svc.logger.warn({ err }, 'heartbeat failed')), this.state.tickMs);
    this.heartbeatTimer.unref();
  }

  /** A queued run this engine's requester waits for in the foreground: keep its lease beating. */
  wait(runId: string): void {
    this.waiting.add(runId);
    this.ensureHeartbeat();
  }

  /** No longer waiting for it (it started, or was cancelled). */
  unwait(runId: string): void {
    this.waiting.delete(runId);
    if (this.drivers.size === 0 && this.waiting.size === 0) this.stopHeartbeat();
  }

  /** The queued runs this engine waits for. */
  waitingFor(): string[] {
    return [...this.waiting];
  }

  /** True when this engine drove the run until another engine took it (it must not act on it again). */
  wasFenced(runId: string): boolean {
    return this.fenced.has(runId);
  }

  /** The in-process secrets of a run (created on first use), kept while it lives here. */
  secretsOf(runId: string): Map<string, string> {
    let secrets = this.runSecrets.get(runId);
    if (!secrets) this.runSecrets.set(runId, (secrets = new Map()));
    return secrets;
  }

  /** `resolve` is called with the run when its driver here is done with it. */
  onEnd(runId: string, resolve: (run: Run) => void): void {
    const list = this.waiters.get(runId) ?? [];
    list.push(resolve);
    this.waiters.set(runId, list);
  }

  resolveWaiters(run: Run): void {
    const list = this.waiters.get(run.id);
    if (!list) return;
    this.waiters.delete(run.id);
    for (const resolve of list) resolve(run);
  }

  stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }
}
