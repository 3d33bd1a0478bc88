// A promotion's teardown (after success, failure, cancel, timeout or a crash): its copies that the
// manifest names are the release now and stay (the sweeper never judges an AMI the manifest names an
// orphan: src/audit/manifest-refs.ts); every other copy it made — found by tag in each of the image's
// regions and by the store's records — is deregistered (which also stops a copy still pending) and its
// snapshots deleted, so a promotion that did not publish leaves nothing. A manifest that cannot be read
// leaves the copies where they are (one might be the release): listed as not deleted, for the sweeper.
// Before that it settles what the promotion published (promote-outcome.ts): a deprecation its process
// did not live to make is made here, and the line it returns is an interrupted run's message.
import { DeleteSnapshotCommand, DeregisterImageCommand, DescribeImagesCommand, DescribeSnapshotsCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import { awsErrorCode, describeAwsError, isNotFound } from '../../aws/errors.ts';
import { imageSnapshots } from '../../aws/kinds/image.ts';
import { runTagFilters } from '../../aws/run-ownership.ts';
import { manifestAmis } from '../../domain/image.ts';
import { RunAbandoned } from '../run-errors.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import type { TeardownOutputs } from '../step-outputs.ts';
import { runImagesIn, runManifest } from './helpers/promotion.ts';
import { settlePromotion } from './promote-outcome.ts';

interface Tally {
  deleted: number;
  alreadyGone: number;
  failed: string[];
}

/** The run's images in `region`: by tag, and those only the store recorded (looked up by id; gone ones marked). */
async function imagesIn(ctx: RunContext, ec2: EC2Client, region: string, recorded: string[], t: Tally): Promise<Image[]> {
  const found = await runImagesIn(ctx, ec2);
  for (const id of recorded.filter((r) => !found.some((i) => i.ImageId === r))) {
    let img: Image | undefined;
    try {
      img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [id] }), { abortSignal: ctx.signal })).Images?.[0];
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // Recorded, but not tagged as this run's: not ours to delete (never happens unless someone re-tagged it).
    if (img) continue;
    await ctx.assetDeleted('image', id, region);
    t.alreadyGone++;
  }
  return found;
}

async function removeCopy(ctx: RunContext, ec2: EC2Client, region: string, img: Image, t: Tally): Promise<void> {
  const id = img.ImageId!;
  await ctx.recordAsset('image', id, region);
  try {
    await ec2.send(new DeregisterImageCommand({ ImageId: id }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await ctx.assetDeleted('image', id, region);
  t.deleted++;
  for (const snapshotId of imageSnapshots(img)) await removeSnapshot(ctx, ec2, region, snapshotId, t);
  ctx.log(`${region}: deregistered ${id} and deleted its ${imageSnapshots(img).length} snapshot(s)`);
}

async function removeSnapshot(ctx: RunContext, ec2: EC2Client, region: string, snapshotId: string, t: Tally): Promise<void> {
  await ctx.recordAsset('snapshot', snapshotId, region);
  try {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    t.deleted++;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    t.alreadyGone++;
  }
  await ctx.assetDeleted('snapshot', snapshotId, region);
}

async function tearDownRegion(ctx: RunContext, region: string, published: ReadonlySet<string> | null, t: Tally): Promise<void> {
  const ec2 = ctx.aws.ec2(region);
  const recorded = (await ctx.records.assets()).filter((a) => a.region === region && a.deletedAt === null);
  const images = await imagesIn(ctx, ec2, region, recorded.filter((a) => a.kind === 'image').map((a) => a.id), t);
  const kept = new Set<string>();
  for (const img of images) {
    const id = img.ImageId!;
    if (published === null) {
      t.failed.push(`image ${id} in ${region}: left in place, the manifest could not be read to tell whether it is the release`);
      for (const s of imageSnapshots(img)) kept.add(s);
    } else if (published.has(id)) {
      ctx.log(`${region}: ${id} is the release the manifest names; kept`);
      for (const s of imageSnapshots(img)) kept.add(s);
    } else {
      await removeCopy(ctx, ec2, region, img, t).catch((err: unknown) => t.failed.push(`image ${id} in ${region}: ${describeAwsError(err)}`));
    }
  }
  // Snapshots of this run no AMI of it holds any more (a copy that failed half-way).
  const tagged = (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: runTagFilters({ installation: ctx.config.installation, runId: ctx.run.id }) }), { abortSignal: ctx.signal })).Snapshots ?? [];
  const loose = new Set([...tagged.map((s) => s.SnapshotId!), ...recorded.filter((a) => a.kind === 'snapshot').map((a) => a.id)].filter((s) => !kept.has(s)));
  for (const snapshotId of loose) {
    await removeSnapshot(ctx, ec2, region, snapshotId, t).catch((err: unknown) => {
      // Another AMI uses it (the release it belongs to): it stays with that AMI.
      if (awsErrorCode(err) !== 'InvalidSnapshot.InUse') t.failed.push(`snapshot ${snapshotId} in ${region}: ${describeAwsError(err)}`);
    });
  }
}

async function run(ctx: RunContext): Promise<StepResult<TeardownOutputs>> {
  const t: Tally = { deleted: 0, alreadyGone: 0, failed: [] };
  // First what it published (and the deprecation owed when its process stopped before deprecate).
  // It never stops the cleanup: an image no longer configured is a warning, and the copies still go.
  const completed = await settlePromotion(ctx).catch((err: unknown) => {
    if (err instanceof RunAbandoned) throw err;
    ctx.warn(`what this promotion published could not be settled: ${describeAwsError(err)}`);
    return null;
  });
  let published: Set<string> | null;
  try {
    published = new Set(manifestAmis(await runManifest(ctx).read()).map((a) => a.entry.ami));
    // Proposed by a pull request not merged yet: the PR names these copies, so they stay for it (the
    // sweeper keeps them too: the store recorded the proposed version).
    const proposed = ctx.outputOf('publish');
    if (proposed?.pullRequest) for (const r of proposed.regions) published.add(r.ami);
  } catch (err) {
    published = null;
    ctx.warn(`the image manifest could not be read (${(err as Error).message}); this promotion's copies are left for the sweeper`, 'teardown');
  }
  const image = ctx.run.options.image ? ctx.config.images[ctx.run.options.image] : undefined;
  const regions = [...new Set([...(image?.regions ?? [ctx.env.region]), ...(await ctx.records.assets()).map((a) => a.region)])];
  for (const region of regions) {
    await tearDownRegion(ctx, region, published, t).catch((err: unknown) => t.failed.push(`${region}: ${describeAwsError(err)}`));
  }
  ctx.log(`${t.deleted} deleted, ${t.alreadyGone} already gone${t.failed.length ? `, ${t.failed.length} failed (${t.failed.join('; ')})` : ''}`);
  return { outputs: { deleted: t.deleted, alreadyGone: t.alreadyGone, failed: t.failed, ...(completed ? { completed } : {}) } };
}

export const promoteTeardownStep: PipelineStep<'teardown'> = { name: 'teardown', safeToRepeat: true, run };
