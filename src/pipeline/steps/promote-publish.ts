// A promotion after its copies are available: `share` gives the accounts in images.<name>.shareWith
// launch permission on every copy (the AMI only: AWS gives a launch from a shared AMI access to its
// unencrypted snapshots itself); `publish` names the copies in the manifest, every region in one write,
// so the manifest never names a release that is only partly there; `deprecate` marks the images the
// channel named before deprecated after images.<name>.deprecateAfter (EnableImageDeprecation), unless
// another channel still names them. Each is safe to repeat.
import { EnableImageDeprecationCommand, ModifyImageAttributeCommand } from '@aws-sdk/client-ec2';
import { describeAwsError } from '../../aws/errors.ts';
import { describeManifestWrite } from '../../images/manifest.ts';
import { releasePublished, withRelease } from '../../images/promote.ts';
import { UserError } from '../../errors.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import type { CopyImageOutputs, DeprecateOutputs, PublishOutputs, ShareOutputs } from '../step-outputs.ts';
import { stepError } from './helpers/aws-step-error.ts';
import { promotionOf, runManifest } from './helpers/promotion.ts';

function copiesOf(ctx: RunContext): CopyImageOutputs {
  const copied = ctx.outputOf('copy-image');
  if (!copied?.copies?.length) throw new UserError('nothing to promote: the copy-image step left no copies');
  return copied;
}

async function share(ctx: RunContext): Promise<StepResult<ShareOutputs>> {
  const { image, settings } = promotionOf(ctx);
  const { copies } = copiesOf(ctx);
  const accounts = settings.shareWith;
  if (accounts.length === 0) return { outputs: { accounts: [], images: [] }, skipped: `images.${image}.shareWith names no account` };
  for (const c of copies) {
    try {
      // Adding a permission an account has already is no change: the step may run again.
      await ctx.aws.ec2(c.region).send(new ModifyImageAttributeCommand({ ImageId: c.ami, LaunchPermission: { Add: accounts.map((UserId) => ({ UserId })) } }));
    } catch (err) {
      throw stepError(`ModifyImageAttribute (launch permission) of ${c.ami} in ${c.region}`, err);
    }
    ctx.log(`${c.region}: ${c.ami} shared with ${accounts.join(', ')}`);
  }
  return { outputs: { accounts, images: copies.map((c) => c.ami) } };
}

async function publish(ctx: RunContext): Promise<StepResult<PublishOutputs>> {
  const { image, to } = promotionOf(ctx);
  const { copies, source } = copiesOf(ctx);
  const backend = runManifest(ctx);
  const regions = copies.map((c) => ({ region: c.region, ami: c.ami }));
  const current = await backend.read();
  if (releasePublished(current, image, to, copies)) {
    ctx.log(`manifest: ${image}@${to} names these copies already`);
    return { outputs: { regions, written: false } };
  }
  // The last check before the write: a driver that lost the run writes nothing.
  await ctx.fence('writing the manifest');
  const next = withRelease(current, image, to, source, copies, ctx.clock.now());
  const written = await backend.write(next, { author: ctx.run.requester, reason: `promote ${ctx.run.id}: ${image} ${source.ami} to ${to} in ${copies.map((c) => c.region).join(', ')}`, at: ctx.clock.now() });
  const release = regions.map((r) => `${r.ami} (${r.region})`).join(', ');
  if (written.kind === 'pull-request') {
    // Nothing is released until the PR is merged: the people who asked must read that, not "is now".
    const line = describeManifestWrite(written, `make ${image}@${to} ${release}`);
    ctx.log(line);
    ctx.warn(line, 'publish');
    return { outputs: { regions, written: false, pullRequest: { number: written.number, url: written.url } } };
  }
  ctx.log(`manifest: ${image}@${to} is ${release}`);
  return { outputs: { regions, written: true } };
}

/**
 * The `deprecate` step; also what the teardown of a promotion that published runs when this step did
 * not (its process stopped before it: promote-outcome.ts), so a promotion ends the same either way.
 */
export async function deprecateReplaced(ctx: RunContext): Promise<StepResult<DeprecateOutputs>> {
  const { image, to, settings } = promotionOf(ctx);
  const { copies } = copiesOf(ctx);
  const manifest = await runManifest(ctx).read();
  const replaced = copies.flatMap((c) => {
    if (c.previous === null || c.previous === c.ami) return [];
    // Still named by another channel (stable and latest often share one): not deprecated.
    const stillNamed = Object.values(manifest.images[image]?.[c.region] ?? {}).some((e) => e?.ami === c.previous);
    return stillNamed ? [] : [{ region: c.region, ami: c.previous }];
  });
  if (replaced.length === 0) return { outputs: { deprecateAt: null, deprecated: [], failed: [] }, skipped: `${image}@${to} replaced no image that is not still named` };
  const at = new Date(ctx.clock.now().getTime() + settings.deprecateAfter);
  const deprecated: DeprecateOutputs['deprecated'] = [];
  const failed: string[] = [];
  for (const r of replaced) {
    try {
      await ctx.aws.ec2(r.region).send(new EnableImageDeprecationCommand({ ImageId: r.ami, DeprecateAt: at }));
      deprecated.push(r);
      ctx.log(`${r.region}: ${r.ami} (the previous ${to}) deprecated at ${at.toISOString()}`);
    } catch (err) {
      // The promotion stands (the manifest names the new release); the old image stays launchable.
      failed.push(`${r.ami} in ${r.region}: ${describeAwsError(err)}`);
      ctx.warn(`could not deprecate ${r.ami} in ${r.region}: ${describeAwsError(err)}`, 'deprecate');
    }
  }
  return { outputs: { deprecateAt: deprecated.length ? at.toISOString() : null, deprecated, failed } };
}

export const shareStep: PipelineStep<'share'> = { name: 'share', safeToRepeat: true, run: share };
export const publishStep: PipelineStep<'publish'> = { name: 'publish', safeToRepeat: true, run: publish };
export const deprecateStep: PipelineStep<'deprecate'> = { name: 'deprecate', safeToRepeat: true, run: deprecateReplaced };
