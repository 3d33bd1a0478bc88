// What a kept run's environment is asked while it stays up: keep it longer (extend, or keep a run still
// going), and run its tests again (retest).
import { formatDuration } from '../../domain/duration.ts';
import { isFinished, type Run } from '../../domain/run.ts';
import { ConflictError, NotFoundError, UserError } from '../../errors.ts';
import type { EngineServices } from '../engine-services.ts';
import type { DriverPool } from './drivers.ts';

/** The run, or the one-line answer a person gets for an id that is not there. */
export async function runOrNotFound(svc: EngineServices, runId: string): Promise<Run> {
  const run = await svc.store.getRun(runId);
  if (!run) throw new NotFoundError(`no run ${runId}; \`list\` shows the current ones`);
  return run;
}

/**
 * A kept run whose retest lost its process (kill -9, a stopped replica): the retest's tests step ends
 * `interrupted`, as a crashed run's running step does on adoption, and the run stays kept as it was
 * (its environment is up; its expiry, already moved out by the retest, stays); its people are told.
 * Null when the run's lease still has a live holder, or nothing of a retest was left running.
 */
export async function endAbandonedRetest(svc: EngineServices, run: Run, alive: ReadonlySet<string>): Promise<Run | null> {
  const { store, clock, config, ownerId } = svc;
  const now = clock.now();
  if (run.state !== 'kept' || run.leaseOwner === ownerId) return null;
  const lapsed = run.leaseHeartbeatAt === null || now.getTime() - run.leaseHeartbeatAt.getTime() > config.runs.leaseTtl;
  if (run.leaseOwner !== null && (alive.has(run.leaseOwner) || !lapsed)) return null;
  if (!(await store.getSteps(run.id)).some((s) => s.state === 'running')) return null;
  // Taking the lease bumps its epoch: a retest driver that wakes up again is fenced from here on.
  if (!(await store.acquireLease(run.id, ownerId, now, config.runs.leaseTtl))) return null;
  try {
    const handover = await store.takeHandover(run.id, ownerId);
    const from = handover.from ?? run.handoverFrom;
    const why = from ? `handed over from replica ${from} during a restart` : `its process (${run.leaseOwner ?? 'unknown'}) stopped`;
    const steps = await store.interruptSteps(run.id, now, `interrupted: the retest's ${why}`);
    if (steps.length === 0) return null;
    const updated = await store.updateRun(run.id, { error: `retest interrupted: ${why}` });
    svc.emit(run.id, { type: 'run.retest-interrupted', reason: why, until: updated.expiresAt?.toISOString() ?? null });
    svc.logger.info({ runId: run.id, previousOwner: run.leaseOwner, interrupted: steps }, `run ${run.id}: its retest was interrupted (${why}); it stays kept`);
    svc.metrics?.runRecoveries.inc({ event: 'retest-interrupted' });
    return updated;
  } finally {
    await store.releaseLease(run.id, ownerId).catch(() => undefined);
  }
}

export class KeptRuns {
  private readonly svc: EngineServices;
  private readonly pool: DriverPool;

  constructor(svc: EngineServices, pool: DriverPool) {
    this.svc = svc;
    this.pool = pool;
  }

  async extend(runId: string, byMs: number, by: string): Promise<Run> {
    const { store, config, clock } = this.svc;
    const run = await runOrNotFound(this.svc, runId);
    if (run.state !== 'kept') throw new ConflictError(`run ${runId} is ${run.state}; only a kept run can be extended (launch it with --keep)`);
    const base = Math.max(run.expiresAt?.getTime() ?? 0, clock.now().getTime());
    const until = new Date(base + byMs);
    const limit = clock.now().getTime() + config.runs.keepMax;
    if (until.getTime() > limit) {
      throw new ConflictError(`run ${runId} would stay up until ${until.toISOString()}, past runs.keepMax (${formatDuration(config.runs.keepMax)} from now)`);
    }
    await this.svc.moveExpiry(run, until);
    const updated = await store.updateRun(runId, { expiresAt: until });
    this.svc.emit(runId, { type: 'run.kept', until: until.toISOString() });
    this.svc.logger.info({ runId, until, by }, 'kept run extended');
    return updated;
  }

  /**
   * Runs a kept run's tests again on its environment (`retest`): `browsers` (default: the run's own) with
   * their users and reporting, maybe only the tests `grep` matches. Its time to expire moves out by the
   * tests' bound (tests.maxWait) first, so neither the sweeper nor its expiry nor its host's switch ends
   * it mid-test. Refused, changing nothing, when the environment is gone or busy.
   */
  async retest(runId: string, opts: { browsers: string[] | null; grep: string | null }, by: string): Promise<Run> {
    const { store, config, clock, ownerId } = this.svc;
    const run = await runOrNotFound(this.svc, runId);
    const relaunch = run.env ? `\`launch ${run.env} --keep\`` : '`launch --keep`';
    if (isFinished(run.state)) throw new ConflictError(`run ${runId} is ${run.state}: its environment is gone; ${relaunch} starts a new one`);
    if (run.state !== 'kept') throw new ConflictError(`run ${runId} is ${run.state === 'tearing_down' ? 'tearing down' : run.state}; retest needs a kept environment (launch with --keep)`);
    if (run.cancelRequestedBy) throw new ConflictError(`run ${runId} is being torn down (asked by ${run.cancelRequestedBy}); ${relaunch} starts a new one`);
    const instance = (await store.getAssets(runId)).find((a) => a.kind === 'instance');
    if (!instance || instance.deletedAt !== null) throw new ConflictError(`run ${runId} has no instance up any more: its environment is gone; ${relaunch} starts a new one`);
    const browsers = opts.browsers ?? run.options.browsers;
    const unknown = browsers.filter((b) => !config.browsers[b]);
    if (unknown.length > 0) throw new UserError(`unknown browser ${unknown.join(', ')}; valid: ${Object.keys(config.browsers).join(', ')}`);
    // The lease is the retest's own claim: one at a time, and no expiry teardown while it holds it.
    if (this.pool.has(runId) || !(await store.acquireLease(runId, ownerId, clock.now(), config.runs.leaseTtl))) {
      throw new ConflictError(`run ${runId} is busy (a retest or its teardown is going); try again when it is done`);
    }
    try {
      const now = clock.now();
      const withinMs = config.tests.maxWait;
      const until = new Date(Math.max(run.expiresAt?.getTime() ?? 0, now.getTime()) + withinMs);
      await this.svc.moveExpiry(run, until);
      await store.updateRun(runId, { expiresAt: until });
      this.svc.emit(runId, { type: 'run.retest', by, browsers, grep: opts.grep, until: until.toISOString() });
      this.svc.logger.info({ runId, by, browsers, grep: opts.grep, until }, 'kept run retested');
      const current = (await store.getRun(runId))!;
      this.pool.start(current, { kind: 'retest', browsers, grep: opts.grep, withinMs });
      return current;
    } catch (err) {
      await store.releaseLease(runId, ownerId).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Keeps a run's environment up for `ms` after its tests instead of tearing it down (a chat
   * button); a kept run gets `ms` more. Too late once its teardown has started.
   */
  async keep(runId: string, ms: number, by: string): Promise<Run> {
    const { store, config } = this.svc;
    const run = await runOrNotFound(this.svc, runId);
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
}
