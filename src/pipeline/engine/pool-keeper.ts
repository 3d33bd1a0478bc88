// The warm pool's replenish job: one replica at a time (a cron slot per pass, claimed atomically in the
// store), per environment with a warmPool, applies planPool — evicts members (too old, built from an AMI
// that is no longer the environment's, in excess, outside the pool's hours, abandoned while preparing)
// and starts runs of kind `replenish` for the members to prepare. A replenish run is driven, leased,
// fenced and adopted like any run; evictions go through pool-evict.ts's fenced teardown.
import { inPoolHours } from '../../config/pool-fields.ts';
import type { EnvironmentConfig } from '../../config/index.ts';
import { newRunId } from '../../domain/run-id.ts';
import { isFinished } from '../../domain/run.ts';
import type { PoolMember } from '../../domain/pool.ts';
import type { EngineServices } from '../engine-services.ts';
import { evictMember } from '../pool-evict.ts';
import { planPool } from '../pool-plan.ts';
import { currentPoolAmi } from '../pool-readiness.ts';
import { poolRunEnvName } from '../run-environment.ts';
import type { EngineState } from './drivers.ts';

/** The cron slot of a pass: one replica per interval keeps the pools. */
export const POOL_SLOT = 'pool-replenish';
const PASS_MS = 60_000;
/** What one member has at most to get ready: a replenish run's timeout, plus adoption's lease time. */
const prepareTimeoutMs = (svc: Pick<EngineServices, 'config'>) => svc.config.runs.timeout + 3 * svc.config.runs.leaseTtl;

export interface PoolPass {
  evicted: { id: string; reason: string }[];
  started: string[];
  /** Members whose eviction teardown left something (retried next pass). */
  failed: string[];
}

export class PoolKeeper {
  private readonly svc: EngineServices;
  private readonly state: EngineState;
  private readonly startQueued: () => Promise<void>;
  private readonly cancel: (runId: string, by: string, reason: string) => Promise<unknown>;
  private passing: Promise<PoolPass | null> | null = null;
  private again = false;

  constructor(svc: EngineServices, state: EngineState, startQueued: () => Promise<void>, cancel: (runId: string, by: string, reason: string) => Promise<unknown>) {
    this.svc = svc;
    this.state = state;
    this.startQueued = startQueued;
    this.cancel = cancel;
  }

  /** A member was taken: refill now rather than at the next tick. */
  wake(): void {
    if (!this.state.background || this.state.stopping) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    void this.tick().catch((err) => this.svc.logger.error({ err }, 'warm pool pass failed'));
  }

  /** One pass (passes never overlap in this process); null when another replica has this interval's slot. */
  async tick(): Promise<PoolPass | null> {
    if (this.passing) return this.passing;
    this.passing = (async () => {
      let result: PoolPass | null;
      do {
        this.again = false;
        result = await this.pass();
      } while (this.again && !this.state.stopping);
      return result;
    })().finally(() => {
      this.passing = null;
    });
    return this.passing;
  }

  private async holdsSlot(now: Date): Promise<boolean> {
    const { store, ownerId } = this.svc;
    const occurrence = new Date(Math.floor(now.getTime() / PASS_MS) * PASS_MS);
    if (await store.claimCronSlot(POOL_SLOT, occurrence, ownerId, now)) return true;
    return (await store.cronSlotOwner(POOL_SLOT, occurrence)) === ownerId;
  }

  private async pass(): Promise<PoolPass | null> {
    const { store, config, clock, logger } = this.svc;
    const out: PoolPass = { evicted: [], started: [], failed: [] };
    if (this.state.stopping) return out;
    const pools = Object.values(config.environments).filter((e): e is EnvironmentConfig & { warmPool: NonNullable<EnvironmentConfig['warmPool']> } => !!e.warmPool);
    const members = await store.listPoolMembers();
    if (pools.length === 0 && members.length === 0) return out;
    const now = clock.now();
    if (!(await this.holdsSlot(now))) return null;

    // Members of an environment that has no pool (any more): unwanted.
    for (const m of members) {
      if ((m.state === 'ready' || m.state === 'preparing') && !config.environments[m.env]?.warmPool) {
        await this.markEvicting(m, `${m.env} has no warmPool any more`, out);
      }
    }
    for (const env of pools) {
      let ami: string;
      try {
        ami = await currentPoolAmi(config, env, this.svc.manifest);
      } catch (err) {
        logger.warn({ err, env: env.name }, `warm pool of ${env.name}: its AMI cannot be resolved; the pool is left as it is this time`);
        continue;
      }
      const plan = planPool({
        members: members.filter((m) => m.env === env.name),
        ami,
        size: env.warmPool.size,
        maxAgeMs: env.warmPool.maxAge,
        inHours: inPoolHours(env.warmPool.hours, now, config.sweeper.timeZone),
        prepareTimeoutMs: prepareTimeoutMs(this.svc),
        now,
      });
      for (const e of plan.evict) {
        const m = members.find((x) => x.id === e.id)!;
        await this.markEvicting(m, e.reason, out);
      }
      for (let i = 0; i < plan.prepare && !this.state.stopping; i++) out.started.push(await this.prepare(env, ami));
    }
    // Every member on its way out (this pass's, and those a crash left evicting) is torn down.
    for (const m of await store.listPoolMembers(undefined, ['evicting'])) {
      if (this.state.stopping) break;
      await this.tearDown(m, out);
    }
    if (out.started.length > 0) await this.startQueued();
    return out;
  }

  private async markEvicting(m: PoolMember, reason: string, out: PoolPass): Promise<void> {
    if (!(await this.svc.store.evictPoolMember(m.id, reason))) return;
    out.evicted.push({ id: m.id, reason });
    this.svc.logger.info({ poolMember: m.id, env: m.env }, `warm pool of ${m.env}: evicting ${m.id}: ${reason}`);
    // A member still being prepared: its replenish run stops, and its own teardown removes everything.
    const run = await this.svc.store.getRun(m.id);
    if (run && !isFinished(run.state)) await this.cancel(run.id, 'stagebot', `pool member evicted: ${reason}`).catch(() => undefined);
  }

  private async tearDown(m: PoolMember, out: PoolPass): Promise<void> {
    const run = await this.svc.store.getRun(m.id);
    // Its replenish run is still going (cancelled above): its teardown comes first; the next pass forgets it.
    if (run && !isFinished(run.state)) return;
    try {
      const result = await evictMember(this.svc, m, AbortSignal.timeout(this.svc.config.runs.stepTimeouts.teardown));
      if (result.failed.length > 0) out.failed.push(`${m.id}: ${result.failed.join('; ')}`);
    } catch (err) {
      out.failed.push(`${m.id}: ${(err as Error).message}`);
    }
  }

  /** A member to prepare: recorded (preparing) before its run exists, then its replenish run queued. */
  private async prepare(env: EnvironmentConfig & { warmPool: NonNullable<EnvironmentConfig['warmPool']> }, ami: string): Promise<string> {
    const { store, clock } = this.svc;
    const now = clock.now();
    const id = newRunId(env.name, now);
    await store.insertPoolMember({ id, env: env.name, region: env.region, ami, baseRef: env.warmPool.baseRef, createdAt: now });
    await store.createRun({
      id,
      kind: 'replenish',
      env: poolRunEnvName(env.name, id),
      requester: 'cron:pool',
      source: 'cron',
      createdAt: now,
      options: { browsers: [], ref: env.warmPool.baseRef },
    });
    this.svc.logger.info({ poolMember: id, env: env.name }, `warm pool of ${env.name}: preparing ${id} at ${env.warmPool.baseRef}`);
    return id;
  }
}
