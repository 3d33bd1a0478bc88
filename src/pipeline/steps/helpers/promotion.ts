// What the steps of a promotion share: the run's image and channel, the manifest as the run writes
// it, and this run's images by tag in one region.
import { DescribeImagesCommand, type EC2Client, type Image } from '@aws-sdk/client-ec2';
import { isRunResource, runTagFilters } from '../../../aws/run-ownership.ts';
import type { ImageConfig } from '../../../config/index.ts';
import type { PromoteChannel } from '../../../domain/image.ts';
import { UserError } from '../../../errors.ts';
import type { ManifestBackend } from '../../../images/manifest.ts';
import { manifestBackend } from '../../../images/manifest-backend.ts';
import type { RunContext } from '../../run-context.ts';

/** The image and channel of a promotion run, with the image's settings. */
export function promotionOf(ctx: RunContext): { image: string; to: PromoteChannel; source: string; settings: ImageConfig } {
  const image = ctx.run.options.image;
  const promote = ctx.run.options.promote;
  if (!image || !promote) throw new UserError(`run ${ctx.run.id} is not a promotion (it names no image or channel)`);
  const settings = ctx.config.images[image];
  if (!settings) throw new UserError(`image ${image} is no longer configured`);
  return { image, to: promote.to, source: promote.source, settings };
}

/**
 * The manifest as a run reads and writes it: the engine's (a file, or a GitHub repository changed by
 * pull request), else the configured file; every version it writes goes into the store's history.
 */
export function runManifest(ctx: RunContext): ManifestBackend {
  return ctx.manifest ?? manifestBackend(ctx.config, { recordManifest: (v) => ctx.records.recordManifest(v) });
}

/** This run's images in one region, by tag: a retried step or a teardown after a crash finds every copy. */
export async function runImagesIn(ctx: RunContext, ec2: EC2Client): Promise<Image[]> {
  const who = { installation: ctx.config.installation, runId: ctx.run.id };
  const out = await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: runTagFilters(who) }), { abortSignal: ctx.signal });
  return (out.Images ?? []).filter((i) => isRunResource(i.Tags, who));
}

/** Idempotent per run and region: a CopyImage whose answer was lost, sent again, makes no second copy. */
export function copyClientToken(runId: string, region: string): string {
  return `${runId}:${region}`.slice(0, 64);
}
