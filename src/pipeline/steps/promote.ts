// The promotion pipeline (a run of kind `promote`) and its first step, copy-image: CopyImage of the
// promoted AMI into every region the image needs, each copy tagged at creation (image and snapshots)
// with this run's tags and recorded as the run's asset the moment AWS names it, then all waited on
// together until available, with progress per region. A retried step (or a resumed run) adopts the
// copies it finds by tag; a region whose channel already names the same bake's release reuses it.
// What a promotion that does not publish made is removed by its teardown (promote-teardown.ts).
import { CopyImageCommand, DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';
import { imageSnapshots } from '../../aws/kinds/image.ts';
import { tagSpecifications } from '../../aws/tags.ts';
import { formatDuration } from '../../domain/duration.ts';
import { UserError } from '../../errors.ts';
import { namedInRegion, promotionSource, releaseName } from '../../images/promote.ts';
import type { Pipeline } from '../pipeline.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import type { CopyImageOutputs, PromotedCopy } from '../step-outputs.ts';
import { stepError } from './helpers/aws-step-error.ts';
import { copyClientToken, promotionOf, runImagesIn, runManifest } from './helpers/promotion.ts';
import { CHANNEL_TAG, IMAGE_TAG } from './create-image.ts';
import { deprecateStep, publishStep, shareStep } from './promote-publish.ts';
import { promoteTeardownStep } from './promote-teardown.ts';

const POLL_MS = 5_000;

interface Copying {
  region: string;
  ami: string;
  how: PromotedCopy['how'];
  startedAt: number;
  previous: string | null;
  done: Image | null;
  doneAt?: number;
}

async function run(ctx: RunContext): Promise<StepResult<CopyImageOutputs>> {
  const { image, to, source, settings } = promotionOf(ctx);
  const manifest = await runManifest(ctx).read();
  const { region: sourceRegion, entry } = promotionSource(manifest, image, source, settings.regions[0]!);
  const name = releaseName(image, entry);
  const tags = [...ctx.tags(name), { Key: IMAGE_TAG, Value: image }, { Key: CHANNEL_TAG, Value: to }];
  ctx.log(`promoting ${image} ${entry.ami} (${sourceRegion}, bake ${entry.bakeRun ?? 'unknown'}) to ${to} in ${settings.regions.join(', ')}`);

  // Every copy starts before any is waited on: the regions copy in parallel, and each is the run's
  // asset before the (long) wait, so a crash mid-copy leaves nothing a teardown cannot find.
  const copying: Copying[] = [];
  for (const region of settings.regions) {
    const startedAt = ctx.clock.now().getTime();
    const previous = manifest.images[image]?.[region]?.[to]?.ami ?? null;
    const ec2 = ctx.aws.ec2(region);
    const mine = (await runImagesIn(ctx, ec2).catch((err: unknown) => Promise.reject(stepError(`DescribeImages (this promotion's copy in ${region})`, err))))[0];
    if (mine?.ImageId) {
      await ctx.recordAsset('image', mine.ImageId, region);
      ctx.log(`${region}: adopting ${mine.ImageId}, copied by this promotion earlier (${mine.State ?? 'unknown state'})`);
      copying.push({ region, ami: mine.ImageId, how: 'copied', startedAt, previous, done: null });
      continue;
    }
    const released = (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: [name] }] }))).Images?.[0];
    if (released?.ImageId && namedInRegion(manifest, image, region, released.ImageId)) {
      // The same bake released here already (latest, now going stable): that copy is the release.
      ctx.log(`${region}: ${name} is there already (${released.ImageId}); reused`);
      copying.push({ region, ami: released.ImageId, how: 'reused', startedAt, previous, done: null });
      continue;
    }
    let ami: string;
    try {
      // No abort signal: a CopyImage cut off mid-flight may still copy, and its id would be lost.
      const out = await ec2.send(
        new CopyImageCommand({
          SourceImageId: entry.ami,
          SourceRegion: sourceRegion,
          Name: name,
          Description: `stagebot release of ${image} (bake ${entry.bakeRun ?? 'unknown'}), promoted to ${to} by ${ctx.run.id}`,
          CopyImageTags: false,
          ClientToken: copyClientToken(ctx.run.id, region),
          // The new AMI and its new snapshots, as CreateImage tags a bake's.
          TagSpecifications: tagSpecifications(['image', 'snapshot'], tags),
        }),
      );
      if (!out.ImageId) throw new Error('CopyImage returned no image id');
      ami = out.ImageId;
    } catch (err) {
      throw stepError(`CopyImage of ${entry.ami} to ${region}`, err);
    }
    await ctx.recordAsset('image', ami, region);
    ctx.log(`${region}: CopyImage ${entry.ami} -> ${ami}`);
    copying.push({ region, ami, how: 'copied', startedAt, previous, done: null });
  }

  await waitAll(ctx, copying, settings.createImageTimeout);
  const copies: PromotedCopy[] = [];
  for (const c of copying) {
    const snapshotIds = imageSnapshots(c.done!);
    if (c.how === 'copied') for (const id of snapshotIds) await ctx.recordAsset('snapshot', id, c.region);
    copies.push({ region: c.region, ami: c.ami, how: c.how, durationMs: (c.doneAt ?? ctx.clock.now().getTime()) - c.startedAt, snapshotIds, previous: c.previous });
  }
  return {
    outputs: {
      image,
      to,
      source: { ami: entry.ami, region: sourceRegion, bakeRun: entry.bakeRun, architecture: entry.architecture, created: entry.created },
      copies,
    },
  };
}

/** Polls every copy until all are available; one that fails (or never gets there) fails the step. */
async function waitAll(ctx: RunContext, copying: Copying[], timeoutMs: number): Promise<void> {
  const started = ctx.clock.now().getTime();
  for (;;) {
    for (const c of copying.filter((x) => x.done === null)) {
      let img: Image | undefined;
      try {
        img = (await ctx.aws.ec2(c.region).send(new DescribeImagesCommand({ ImageIds: [c.ami] }), { abortSignal: ctx.signal })).Images?.[0];
      } catch (err) {
        throw stepError(`DescribeImages ${c.ami} in ${c.region}`, err);
      }
      const state = img?.State ?? 'gone';
      const waited = ctx.clock.now().getTime() - c.startedAt;
      if (state === 'available') {
        c.done = img!;
        c.doneAt = ctx.clock.now().getTime();
        ctx.log(`${c.region}: ${c.ami} available (${formatDuration(waited)})`);
      } else if (state !== 'pending') {
        throw new UserError(`the copy ${c.ami} in ${c.region} is ${state}${img?.StateReason?.Message ? ` (${img.StateReason.Message})` : ''}`);
      } else {
        ctx.log(`${c.region}: ${c.ami} pending (${formatDuration(waited)})`);
      }
    }
    if (copying.every((c) => c.done !== null)) return;
    if (ctx.clock.now().getTime() - started >= timeoutMs) {
      const late = copying.filter((c) => c.done === null).map((c) => `${c.ami} in ${c.region}`);
      throw new UserError(`the copy ${late.join(', ')} was still pending after ${formatDuration(timeoutMs)} (images.${ctx.run.options.image}.createImageTimeout)`);
    }
    await ctx.clock.sleep(POLL_MS, ctx.signal);
  }
}

export const copyImageStep: PipelineStep<'copy-image'> = { name: 'copy-image', safeToRepeat: true, run };

export function promotePipeline(): Pipeline {
  return {
    parallel: [],
    chain: [copyImageStep, shareStep, publishStep, deprecateStep],
    after: [],
    teardown: promoteTeardownStep,
  };
}
