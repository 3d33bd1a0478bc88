// What a promotion does to AMIs: CopyImage (a new AMI in the client's region with copies of the
// source's snapshots, tagged from TagSpecifications, `pending` until the cloud's `copyImageMs` has
// passed on the fake clock), ModifyImageAttribute / DescribeImageAttribute (launch permissions) and
// Enable/DisableImageDeprecation (DeprecationTime, rounded to the minute as AWS does).

import type {
  CopyImageRequest,
  CopyImageResult,
  DescribeImageAttributeRequest,
  DisableImageDeprecationRequest,
  EnableImageDeprecationRequest,
  EnableImageDeprecationResult,
  ImageAttribute,
  LaunchPermission,
  ModifyImageAttributeRequest,
} from '@aws-sdk/client-ec2';
import type { Ctx } from './context.ts';
import { tagsBySpec } from './ec2-tags.ts';
import { ec2Error } from './errors.ts';
import { newId } from './ids.ts';
import { live, type FakeImage } from './model.ts';

/** Ends the `pending` of every copy whose time has come (called before each command, as instances settle). */
export function settleImages(ctx: Ctx, all = false): void {
  for (const img of ctx.region.images.values()) {
    if (img.state !== 'pending' || !img.settlesAt || (!all && ctx.now < img.settlesAt.atMs)) continue;
    img.state = img.settlesAt.to;
    img.settlesAt = null;
    for (const d of img.blockDevices) {
      const snap = d.snapshotId ? ctx.region.snapshots.get(d.snapshotId) : undefined;
      if (snap && snap.state === 'pending') snap.state = 'completed';
    }
  }
}

function ownImage(ctx: Ctx, id: string | undefined): FakeImage {
  const img = live(ctx.region.images.get(id ?? ''));
  if (!img || img.ownerId !== ctx.cloud.accountId) throw ec2Error('InvalidAMIID.NotFound', `The image id '[${id ?? ''}]' does not exist`);
  return img;
}

export function copyImage(ctx: Ctx, input: CopyImageRequest): CopyImageResult {
  if (!input.SourceImageId || !input.SourceRegion) throw ec2Error('MissingParameter', 'The request must contain the parameters SourceImageId and SourceRegion');
  if (!input.Name) throw ec2Error('MissingParameter', 'The request must contain the parameter name');
  const token = input.ClientToken;
  if (token) {
    const earlier = ctx.region.copyTokens.get(token);
    if (earlier) return { ImageId: earlier };
  }
  const source = ctx.cloud.region(input.SourceRegion).images.get(input.SourceImageId);
  if (!source || source.deletedAt !== null || !(source.ownerId === ctx.cloud.accountId || source.isPublic)) {
    throw ec2Error('InvalidAMIID.NotFound', `The image id '[${input.SourceImageId}]' does not exist`);
  }
  if ([...ctx.region.images.values()].some((i) => i.deletedAt === null && i.ownerId === ctx.cloud.accountId && i.name === input.Name)) {
    throw ec2Error('InvalidAMIName.Duplicate', `AMI name ${input.Name} is already in use by AMI`);
  }
  const specs = tagsBySpec(input.TagSpecifications, ['image', 'snapshot'], ctx.cloud.options.strictTagValues);
  const imageId = newId('ami');
  const pending = ctx.cloud.copyImageMs > 0;
  const blockDevices = source.blockDevices.map((d) => {
    if (!d.snapshotId) return { ...d };
    const snapshotId = newId('snap');
    const tags = new Map(specs.get('snapshot') ?? []);
    ctx.region.snapshots.set(snapshotId, {
      id: snapshotId, volumeSize: d.volumeSize, ownerId: ctx.cloud.accountId, description: `Copied for DestinationAmi ${imageId} from SourceAmi ${source.id} for SourceSnapshot ${d.snapshotId}`,
      state: pending ? 'pending' : 'completed', tags, createdAt: ctx.now, deletedAt: null,
    });
    ctx.cloud.recordCreation(ctx.region.name, 'snapshot', snapshotId, tags);
    return { ...d, snapshotId };
  });
  const tags = new Map([...(input.CopyImageTags ? source.tags : []), ...(specs.get('image') ?? [])]);
  const outcome = ctx.cloud.copyImageFails.has(ctx.region.name) ? 'failed' : 'available';
  ctx.region.images.set(imageId, {
    id: imageId, name: input.Name, ownerId: ctx.cloud.accountId, isPublic: false, state: pending ? 'pending' : outcome,
    rootDeviceName: source.rootDeviceName, description: input.Description, tags, createdAt: ctx.now, deletedAt: null, blockDevices,
    settlesAt: pending ? { atMs: ctx.now + ctx.cloud.copyImageMs, to: outcome } : null,
  });
  ctx.cloud.recordCreation(ctx.region.name, 'image', imageId, tags);
  if (token) ctx.region.copyTokens.set(token, imageId);
  return { ImageId: imageId };
}

/** Launch permissions, in either of the API's forms: `LaunchPermission.Add/Remove`, or `OperationType` with `UserIds`. */
export function modifyImageAttribute(ctx: Ctx, input: ModifyImageAttributeRequest): object {
  const img = ownImage(ctx, input.ImageId);
  const perms = (img.launchPermissions ??= new Set());
  const add: LaunchPermission[] = [...(input.LaunchPermission?.Add ?? []), ...(input.OperationType === 'add' ? (input.UserIds ?? []).map((UserId) => ({ UserId })) : [])];
  const remove: LaunchPermission[] = [...(input.LaunchPermission?.Remove ?? []), ...(input.OperationType === 'remove' ? (input.UserIds ?? []).map((UserId) => ({ UserId })) : [])];
  if (add.length === 0 && remove.length === 0 && input.Description === undefined) throw ec2Error('InvalidParameterCombination', 'No attributes specified.');
  for (const p of add) {
    if (p.Group === 'all') img.isPublic = true;
    else if (p.UserId) {
      if (!/^\d{12}$/.test(p.UserId)) throw ec2Error('InvalidAMIAttributeItemValue', `Invalid attribute item value "${p.UserId}" for userId item type.`);
      perms.add(p.UserId);
    }
  }
  for (const p of remove) {
    if (p.Group === 'all') img.isPublic = false;
    else if (p.UserId) perms.delete(p.UserId);
  }
  if (input.Description?.Value !== undefined) img.description = input.Description.Value;
  return {};
}

export function describeImageAttribute(ctx: Ctx, input: DescribeImageAttributeRequest): ImageAttribute {
  const img = ownImage(ctx, input.ImageId);
  switch (input.Attribute) {
    case 'launchPermission':
      return { ImageId: img.id, LaunchPermissions: [...(img.isPublic ? [{ Group: 'all' as const }] : []), ...[...(img.launchPermissions ?? [])].map((UserId) => ({ UserId }))] };
    case 'description':
      return { ImageId: img.id, Description: img.description === undefined ? {} : { Value: img.description } };
    default:
      throw ec2Error('InvalidParameterValue', `Value (${input.Attribute ?? ''}) for parameter attribute is invalid. The fake cloud answers launchPermission and description only`);
  }
}

export function enableImageDeprecation(ctx: Ctx, input: EnableImageDeprecationRequest): EnableImageDeprecationResult {
  const img = ownImage(ctx, input.ImageId);
  const at = input.DeprecateAt ? new Date(input.DeprecateAt).getTime() : NaN;
  if (Number.isNaN(at)) throw ec2Error('MissingParameter', 'The request must contain the parameter DeprecateAt');
  if (at < ctx.now) throw ec2Error('InvalidParameterValue', 'DeprecateAt must be in the future');
  // "If you specify a value for seconds, Amazon EC2 rounds the seconds to the nearest minute."
  img.deprecationTime = Math.round(at / 60_000) * 60_000;
  return { Return: true };
}

export function disableImageDeprecation(ctx: Ctx, input: DisableImageDeprecationRequest): EnableImageDeprecationResult {
  ownImage(ctx, input.ImageId).deprecationTime = null;
  return { Return: true };
}
