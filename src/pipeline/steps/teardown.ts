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

/** Counts and failures of one teardown; every asset done is marked deleted in the store as it goes. */
class Tally implements TeardownTally {
  deleted = 0;
  alreadyGone = 0;
  readonly failed: string[] = [];
  readonly #ctx: RunContext;

  constructor(ctx: RunContext) {
    this.#ctx = ctx;
  }

  async done(kind: AssetKind, id: string, how: 'deleted' | 'gone'): Promise<void> {
    // Recorded first when only the tag search knew it, so the store's history is whole.
    await this.#ctx.recordAsset(kind, id);
    await this.#ctx.assetDeleted(kind, id);
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

async function run(ctx: RunContext): Promise<StepResult<TeardownOutputs>> {
  const tally = new Tally(ctx);
  const recorded = (await ctx.records.assets()).filter((a) => a.deletedAt === null);
  const regions = [...new Set([ctx.env.region, ...recorded.map((a) => a.region)])];
  for (const region of regions) {
    await tearDownRegion(ctx, region, recorded.filter((a) => a.region === region), tally);
  }
  const outputs: TeardownOutputs = { deleted: tally.deleted, alreadyGone: tally.alreadyGone, failed: tally.failed };
  ctx.log(
    `${tally.deleted} deleted, ${tally.alreadyGone} already gone` +
      (tally.failed.length > 0 ? `, ${tally.failed.length} failed (${tally.failed.join('; ')})` : ''),
  );
  return { outputs };
}

export const teardownStep: PipelineStep<'teardown'> = { name: 'teardown', safeToRepeat: true, run };

/** Every kind's part in one phase of teardown, in the phase's order. */
function phase<P extends keyof TeardownPart>(name: P) {
  const parts = ASSET_KIND_DESCRIPTORS.flatMap((d) => {
    const part = d.teardown?.[name];
    return part ? [{ kind: d.kind, part }] : [];
  });
  return parts.sort((a, b) => a.part.order - b.part.order);
}

async function tearDownRegion(ctx: RunContext, region: string, recorded: Asset[], tally: Tally): Promise<void> {
  const f: TeardownFindings = { region, items: new Map(), runInstances: new Set(), started: new Map(), terminated: new Set(), gone: [], problems: [] };
  const scope: TeardownScope = {
    who: { installation: ctx.config.installation, runId: ctx.run.id },
    region,
    ec2: ctx.aws.ec2(region),
    elb: ctx.aws.elbv2(region),
    recorded,
    // A bake's builder is behind no load balancer.
    targetGroupArns: region === ctx.env.region && ctx.env.targetGroupArn ? [ctx.env.targetGroupArn] : [],
    signal: ctx.signal,
    call: (work) => retryThrottled(ctx.clock, ctx.signal, work),
    sleep: (ms, signal) => ctx.clock.sleep(ms, signal),
    now: () => ctx.clock.now().getTime(),
    stepTimeoutMs: ctx.config.runs.stepTimeouts.teardown,
    log: (line) => ctx.log(line),
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
  for (const { kind, part } of phase('search')) await scope.attempt(`${kind} (search by tag in ${region})`, () => part.run(scope, f));
  for (const { part } of phase('recorded')) await part.run(scope, f);
  tally.failed.push(...f.problems);
  for (const { kind, id } of f.gone) await tally.each(kind, id, () => tally.done(kind, id, 'gone'));

  for (const { part } of phase('start')) await part.run(scope, f, tally);
  for (const { part } of phase('finish')) await part.run(scope, f, tally);
}
