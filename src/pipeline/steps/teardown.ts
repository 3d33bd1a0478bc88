// teardown: removes everything the run put in AWS — after success, failure, cancel, timeout or a crash,
// and whether the steps before it ran, half ran or never ran. It finds the run's assets by the store's
// records and by tag, touches only what is tagged with this run, and keeps going past a failure on one
// asset so every other one still goes; what could not be removed is listed for the person and the sweeper.
// What each kind does is its own (src/aws/kinds): the order is traffic first, then the door, then the
// machine, then its key; then the waits for what takes time, then what was left attached.
import { describeAwsError } from '../../aws/errors.ts';
import { ASSET_KIND_DESCRIPTORS } from '../../aws/kinds/index.ts';
import type { TeardownFindings, TeardownPart, TeardownScope, TeardownTally } from '../../aws/kinds/teardown-types.ts';
import type { Asset, AssetKind } from '../../domain/asset.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import type { TeardownOutputs } from '../step-outputs.ts';
import { retryThrottled } from './helpers/throttle-retry.ts';
import { handOverClaimed } from './helpers/warm-claim.ts';

/**
 * Whose assets a teardown removes and how it reaches AWS and the store: a run's (from its RunContext), or
 * a warm pool member's evicted outside any run (src/pipeline/pool-evict.ts), with its own fenced clients.
 */
export interface TeardownHost {
  /** The asset-id the assets carry (a run's id; a pool member's, which is its replenish run's). */
  ownerId: string;
  installation: string;
  region: string;
  /** The environment's target group (searched for the owner's instances); '' for none. */
  targetGroupArn: string;
  aws: RunContext['aws'];
  clock: RunContext['clock'];
  signal: AbortSignal;
  stepTimeoutMs: number;
  log(line: string): void;
  /** The owner's recorded assets (deleted ones included). */
  recorded(): Promise<Asset[]>;
  recordAsset(kind: AssetKind, id: string): Promise<void>;
  assetDeleted(kind: AssetKind, id: string): Promise<void>;
}

export function hostOfRun(ctx: RunContext): TeardownHost {
  return {
    ownerId: ctx.run.id,
    installation: ctx.config.installation,
    region: ctx.env.region,
    targetGroupArn: ctx.env.targetGroupArn,
    aws: ctx.aws,
    clock: ctx.clock,
    signal: ctx.signal,
    stepTimeoutMs: ctx.config.runs.stepTimeouts.teardown,
    log: (line) => ctx.log(line),
    recorded: () => ctx.records.assets(),
    recordAsset: (kind, id) => ctx.recordAsset(kind, id),
    assetDeleted: (kind, id) => ctx.assetDeleted(kind, id),
  };
}

/** Counts and failures of one teardown; every asset done is marked deleted in the store as it goes. */
class Tally implements TeardownTally {
  deleted = 0;
  alreadyGone = 0;
  readonly failed: string[] = [];
  readonly #host: TeardownHost;

  constructor(host: TeardownHost) {
    this.#host = host;
  }

  async done(kind: AssetKind, id: string, how: 'deleted' | 'gone'): Promise<void> {
    // Recorded first when only the tag search knew it, so the store's history is whole.
    await this.#host.recordAsset(kind, id);
    await this.#host.assetDeleted(kind, id);
    if (how === 'deleted') this.deleted++;
    else this.alreadyGone++;
  }

  fail(kind: AssetKind, id: string, reason: string): void {
    this.failed.push(`${kind} ${id}: ${reason}`);
  }

  async each(kind: AssetKind, id: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.fail(kind, id, describeAwsError(err));
    }
  }
}

/**
 * Removes the owner's assets of the kinds `only` accepts (all by default): a replenish run that parked
 * its member removes its door and key but leaves the member's instance, volumes and interface.
 */
export async function tearDownOwned(host: TeardownHost, only: (kind: AssetKind) => boolean = () => true): Promise<TeardownOutputs> {
  const tally = new Tally(host);
  const recorded = (await host.recorded()).filter((a) => a.deletedAt === null && only(a.kind));
  const regions = [...new Set([host.region, ...recorded.map((a) => a.region)])];
  for (const region of regions) {
    await tearDownRegion(host, region, recorded.filter((a) => a.region === region), tally, only);
  }
  host.log(
    `${tally.deleted} deleted, ${tally.alreadyGone} already gone` +
      (tally.failed.length > 0 ? `, ${tally.failed.length} failed (${tally.failed.join('; ')})` : ''),
  );
  return { deleted: tally.deleted, alreadyGone: tally.alreadyGone, failed: tally.failed };
}

async function run(ctx: RunContext): Promise<StepResult<TeardownOutputs>> {
  // A warm member this launch claimed is its own from the claim on, even when the crash came before
  // its tags said so: they are made to say so first, so the search below finds it.
  const member = ctx.run.kind === 'launch' ? await ctx.records.pool.claimed() : null;
  const failed: string[] = [];
  if (member) await handOverClaimed(ctx, member).catch((err: unknown) => failed.push(`pool member ${member.id}: ${describeAwsError(err)}`));
  const outputs = await tearDownOwned(hostOfRun(ctx));
  outputs.failed.unshift(...failed);
  if (member && outputs.failed.length === 0) await ctx.records.pool.forget(member);
  return { outputs };
}

export const teardownStep: PipelineStep<'teardown'> = { name: 'teardown', safeToRepeat: true, run };

/** Every kind's part in one phase of teardown, in the phase's order. */
function phase<P extends keyof TeardownPart>(name: P, only: (kind: AssetKind) => boolean) {
  const parts = ASSET_KIND_DESCRIPTORS.flatMap((d) => {
    const part = d.teardown?.[name];
    return part && only(d.kind) ? [{ kind: d.kind, part }] : [];
  });
  return parts.sort((a, b) => a.part.order - b.part.order);
}

async function tearDownRegion(host: TeardownHost, region: string, recorded: Asset[], tally: Tally, only: (kind: AssetKind) => boolean): Promise<void> {
  const f: TeardownFindings = { region, items: new Map(), runInstances: new Set(), started: new Map(), terminated: new Set(), gone: [], problems: [] };
  const scope: TeardownScope = {
    who: { installation: host.installation, runId: host.ownerId },
    region,
    ec2: host.aws.ec2(region),
    elb: host.aws.elbv2(region),
    recorded,
    // A bake's builder is behind no load balancer.
    targetGroupArns: region === host.region && host.targetGroupArn && only('target') ? [host.targetGroupArn] : [],
    signal: host.signal,
    call: (work) => retryThrottled(host.clock, host.signal, work),
    sleep: (ms, signal) => host.clock.sleep(ms, signal),
    now: () => host.clock.now().getTime(),
    stepTimeoutMs: host.stepTimeoutMs,
    log: (line) => host.log(line),
    async attempt(what, work) {
      try {
        await work();
      } catch (err) {
        f.problems.push(`${what}: ${describeAwsError(err)}`);
      }
    },
  };

  // What to remove: the run's assets by tag, and those the store recorded (a crash between "created"
  // and "recorded" loses nothing; what only the store knew is looked up, and left alone unless ours).
  for (const { kind, part } of phase('search', only)) await scope.attempt(`${kind} (search by tag in ${region})`, () => part.run(scope, f));
  for (const { part } of phase('recorded', only)) await part.run(scope, f);
  tally.failed.push(...f.problems);
  for (const { kind, id } of f.gone) await tally.each(kind, id, () => tally.done(kind, id, 'gone'));

  for (const { part } of phase('start', only)) await part.run(scope, f, tally);
  for (const { part } of phase('finish', only)) await part.run(scope, f, tally);
}
