// create-image: the bake's product. Stops the builder (a consistent file system), CreateImage with the
// bake's tags on the image AND its snapshots from the moment they exist, waits until the AMI is
// available (progress in the run log), and records it as the image's candidate in the manifest. An
// image that fails or times out is deregistered and its snapshots deleted before the step fails;
// teardown does the same for a bake that never got here (bakeTeardownStep).
import {
  CreateImageCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  StopInstancesCommand,
  type EC2Client,
  type Image,
} from '@aws-sdk/client-ec2';
import { isNotFound } from '../../aws/errors.ts';
import { resourceTypesCreatedBy } from '../../aws/kinds/index.ts';
import { imageSnapshots } from '../../aws/kinds/image.ts';
import { isRunResource, runTagFilters } from '../../aws/run-ownership.ts';
import { tagSpecifications } from '../../aws/tags.ts';
import { waitForInstanceState } from '../../aws/waiters.ts';
import { amiName } from '../../domain/image.ts';
import { formatDuration } from '../../domain/duration.ts';
import { UserError } from '../../errors.ts';
import { describeManifestWrite } from '../../images/manifest.ts';
import { manifestBackend } from '../../images/manifest-backend.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import type { CreateImageOutputs } from '../step-outputs.ts';
import { stepError } from './helpers/aws-step-error.ts';

const POLL_MS = 5_000;
/** Tags a bake adds to its image: which image, and that it is a candidate (a promotion's copy says its channel). */
export const IMAGE_TAG = 'stagebot:image';
export const CHANNEL_TAG = 'stagebot:image-channel';

function imageName(ctx: RunContext): string {
  const image = ctx.run.options.image;
  if (!image) throw new UserError(`run ${ctx.run.id} is not a bake (it names no image)`);
  return image;
}

/** This run's images, by tag (a retried step or a teardown after a crash finds what CreateImage made). */
export async function runImages(ctx: RunContext, ec2: EC2Client): Promise<Image[]> {
  const who = { installation: ctx.config.installation, runId: ctx.run.id };
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: runTagFilters(who) }), { abortSignal: ctx.signal });
  return (out.Images ?? []).filter((i) => isRunResource(i.Tags, who));
}

/** Deregisters an image of this run and deletes its snapshots, recording each as gone. */
export async function removeImage(ctx: RunContext, ec2: EC2Client, img: Image): Promise<void> {
  const id = img.ImageId!;
  await ctx.recordAsset('image', id);
  try {
    await ec2.send(new DeregisterImageCommand({ ImageId: id }));
  } catch (err) {
    if (!isNotFound(err)) throw stepError(`DeregisterImage ${id}`, err);
  }
  await ctx.assetDeleted('image', id);
  for (const snapshotId of imageSnapshots(img)) {
    await ctx.recordAsset('snapshot', snapshotId);
    try {
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    } catch (err) {
      if (!isNotFound(err)) throw stepError(`DeleteSnapshot ${snapshotId}`, err);
    }
    await ctx.assetDeleted('snapshot', snapshotId);
  }
  ctx.log(`deregistered ${id} and deleted its ${imageSnapshots(img).length} snapshot(s)`);
}

async function run(ctx: RunContext): Promise<StepResult<CreateImageOutputs>> {
  const image = imageName(ctx);
  const settings = ctx.config.images[image];
  if (!settings) throw new UserError(`image ${image} is no longer configured`);
  const launch = ctx.outputOf('launch');
  if (!launch?.instanceId) throw new UserError('create-image needs the builder the launch step made, and it left none');
  const ec2 = ctx.aws.ec2(ctx.env.region);
  const instanceId = launch.instanceId;

  // An image this run made before a crash: a new one would be a second candidate of the same bake.
  let img = (await runImages(ctx, ec2).catch((err: unknown) => Promise.reject(stepError('DescribeImages (this bake’s image)', err))))[0];
  if (!img) {
    ctx.log(`stopping the builder ${instanceId}`);
    try {
      await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
      await waitForInstanceState(ec2, instanceId, 'stopped', {
        timeoutMs: settings.createImageTimeout,
        intervalMs: POLL_MS,
        signal: ctx.signal,
        sleep: (ms, signal) => ctx.clock.sleep(ms, signal),
        now: () => ctx.clock.now().getTime(),
      });
    } catch (err) {
      throw stepError(`stopping the builder ${instanceId}`, err);
    }
    const name = amiName(image, ctx.run.id, 'candidate');
    const tags = [...ctx.tags(name), { Key: IMAGE_TAG, Value: image }, { Key: CHANNEL_TAG, Value: 'candidate' }];
    let imageId: string;
    try {
      // No abort signal: a CreateImage cut off mid-flight may still make an image, and its id would be lost.
      const out = await ec2.send(
        new CreateImageCommand({
          InstanceId: instanceId,
          Name: name,
          Description: `stagebot bake ${ctx.run.id} of ${image}${ctx.run.options.ref ? ` at ${ctx.run.options.ref}` : ''}`,
          TagSpecifications: tagSpecifications(resourceTypesCreatedBy('CreateImage'), tags),
        }),
      );
      if (!out.ImageId) throw new Error('CreateImage returned no image id');
      imageId = out.ImageId;
    } catch (err) {
      throw stepError(`CreateImage of ${instanceId}`, err);
    }
    await ctx.recordAsset('image', imageId);
    ctx.log(`CreateImage ${imageId} (${name}); waiting until it is available`);
    img = { ImageId: imageId, State: 'pending' };
  } else {
    await ctx.recordAsset('image', img.ImageId!);
    ctx.log(`adopting ${img.ImageId} (${img.Name ?? ''}), made by this bake earlier (${img.State ?? 'unknown state'})`);
  }

  const available = await waitAvailable(ctx, ec2, img.ImageId!, settings.createImageTimeout);
  const snapshotIds = imageSnapshots(available);
  for (const id of snapshotIds) await ctx.recordAsset('snapshot', id);
  const outputs: CreateImageOutputs = {
    imageId: available.ImageId!,
    name: available.Name ?? '',
    region: ctx.env.region,
    architecture: available.Architecture ?? 'x86_64',
    created: available.CreationDate ?? ctx.clock.now().toISOString(),
    snapshotIds,
  };
  await recordCandidate(ctx, image, outputs);
  return { outputs };
}

/** Polls until available; an image that failed (or never got there) is removed before the step fails. */
async function waitAvailable(ctx: RunContext, ec2: EC2Client, imageId: string, timeoutMs: number): Promise<Image> {
  const started = ctx.clock.now().getTime();
  let last: Image | undefined;
  try {
    for (;;) {
      const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }), { abortSignal: ctx.signal });
      last = out.Images?.[0];
      const state = last?.State ?? 'unknown';
      const waited = ctx.clock.now().getTime() - started;
      if (state === 'available') {
        ctx.log(`${imageId} is available after ${formatDuration(waited)}`);
        return last!;
      }
      if (state !== 'pending') throw new UserError(`image ${imageId} is ${state}${last?.StateReason?.Message ? ` (${last.StateReason.Message})` : ''}, not available`);
      if (waited >= timeoutMs) throw new UserError(`image ${imageId} was still pending after ${formatDuration(timeoutMs)} (images.${ctx.run.options.image}.createImageTimeout)`);
      ctx.log(`${imageId} pending (${formatDuration(waited)})`);
      await ctx.clock.sleep(POLL_MS, ctx.signal);
    }
  } catch (err) {
    // Nothing half made stays behind: the image and whatever snapshots it has so far go now.
    const fresh = (await runImages(ctx, ec2).catch(() => [])).find((i) => i.ImageId === imageId) ?? last ?? { ImageId: imageId };
    await removeImage(ctx, ec2, fresh).catch((cleanup: unknown) => ctx.warn(`could not remove the failed image ${imageId}: ${(cleanup as Error).message}; teardown tries again`));
    throw err;
  }
}

async function recordCandidate(ctx: RunContext, image: string, o: CreateImageOutputs): Promise<void> {
  await ctx.fence('writing the manifest');
  const manifest = ctx.manifest ?? manifestBackend(ctx.config, { recordManifest: (v) => ctx.records.recordManifest(v) });
  // A repeated step (a retry, a resumed run) writes the candidate once: a manifest changed by pull
  // request must not get a second PR for the same image.
  const done = `manifest-candidate:${ctx.run.id}:${o.imageId}`;
  const before = (await ctx.records.cached(done)) as string | null;
  if (before) return ctx.log(`${before} (already, by an earlier attempt of this step)`);
  const current = await manifest.read();
  if (current.images[image]?.[o.region]?.candidate?.ami === o.imageId) return ctx.log(`manifest: ${image}@candidate in ${o.region} is ${o.imageId} already`);
  const regions = { ...(current.images[image] ?? {}) };
  regions[o.region] = { ...(regions[o.region] ?? {}), candidate: { ami: o.imageId, architecture: o.architecture, created: o.created, deprecation: null, bakeRun: ctx.run.id } };
  const written = await manifest.write({ ...current, images: { ...current.images, [image]: regions } }, { author: ctx.run.requester, reason: `bake ${ctx.run.id}: candidate ${o.imageId} in ${o.region}`, at: ctx.clock.now() });
  const change = `${image}@candidate in ${o.region} is ${o.imageId}`;
  const line = written.kind === 'pull-request' ? describeManifestWrite(written, `make ${change}`) : `manifest: ${change}`;
  await ctx.records.cache(done, line);
  // A manifest changed by pull request: the person must hear that the candidate waits for a merge.
  if (written.kind === 'pull-request') ctx.warn(line, 'create-image');
  else ctx.log(line);
}

export const createImageStep: PipelineStep<'create-image'> = { name: 'create-image', safeToRepeat: true, run };
