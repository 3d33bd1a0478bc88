// Where a bake's builder starts: the image's base AMI id, or the newest AMI of its owners matching
// its name filter (a stock Ubuntu), found with DescribeImages.
import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { ImageConfig } from '../config/index.ts';
import { UserError } from '../errors.ts';

export async function resolveBaseAmi(ec2: EC2Client, image: ImageConfig, signal?: AbortSignal): Promise<{ ami: string; from: string }> {
  const { base } = image;
  if (base.ami) return { ami: base.ami, from: `images.${image.name}.base.ami` };
  const out = await ec2.send(
    new DescribeImagesCommand({ Owners: base.owners, Filters: [{ Name: 'name', Values: [base.name!] }, { Name: 'state', Values: ['available'] }] }),
    { abortSignal: signal },
  );
  const newest = (out.Images ?? []).filter((i) => i.ImageId).sort((a, b) => Date.parse(b.CreationDate ?? '') - Date.parse(a.CreationDate ?? ''))[0];
  if (!newest) throw new UserError(`no available AMI of ${(base.owners ?? []).join(', ')} named ${base.name} in ${image.regions[0]} (images.${image.name}.base)`);
  return { ami: newest.ImageId!, from: `${newest.Name ?? base.name} (newest match of images.${image.name}.base.name)` };
}
