// The environment's AMI, checked before anything is created: a deregistered or failed image is a
// configuration problem a person must fix, said in one line instead of a RunInstances error.
import { DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorCode, isNotFound } from '../../../aws/errors.ts';
import type { EnvironmentConfig } from '../../../config/index.ts';
import { UserError } from '../../../errors.ts';
import { stepError } from './aws-step-error.ts';

export class AmiUnavailableError extends UserError {
  override readonly name = 'AmiUnavailableError';
}

export interface LaunchImage {
  imageId: string;
  /** Where the root volume mapping goes (`/dev/sda1`, `/dev/xvda`). */
  rootDeviceName: string;
  /** Size of the AMI's root snapshot: the root volume cannot be smaller. */
  rootSnapshotGb: number | null;
}

export async function describeLaunchImage(ec2: EC2Client, env: EnvironmentConfig, signal?: AbortSignal): Promise<LaunchImage> {
  const unavailable = (why: string) => new AmiUnavailableError(`AMI ${env.ami} of ${env.name} is not available in ${env.region} (${why})`);
  let image;
  try {
    const out = await ec2.send(new DescribeImagesCommand({ ImageIds: [env.ami] }), { abortSignal: signal });
    image = out.Images?.find((i) => i.ImageId === env.ami);
  } catch (err) {
    if (isNotFound(err) || awsErrorCode(err) === 'InvalidAMIID.Malformed') throw unavailable(awsErrorCode(err) ?? 'not found');
    throw stepError(`DescribeImages ${env.ami}`, err);
  }
  // AWS answers an id it no longer knows (deregistered a while ago) with an empty list.
  if (!image) throw unavailable('InvalidAMIID.NotFound');
  if (image.State !== 'available') throw unavailable(`state ${image.State ?? 'unknown'}`);
  const rootDeviceName = image.RootDeviceName ?? image.BlockDeviceMappings?.[0]?.DeviceName;
  if (!rootDeviceName) throw unavailable('it names no root device');
  const root = image.BlockDeviceMappings?.find((m) => m.DeviceName === rootDeviceName);
  const rootSnapshotGb = root?.Ebs?.VolumeSize ?? null;
  if (rootSnapshotGb !== null && env.rootVolume.sizeGb < rootSnapshotGb) {
    throw new UserError(
      `rootVolume.sizeGb of ${env.name} is ${env.rootVolume.sizeGb} GB, smaller than the ${rootSnapshotGb} GB root snapshot of AMI ${env.ami}; use at least ${rootSnapshotGb}`,
    );
  }
  return { imageId: env.ami, rootDeviceName, rootSnapshotGb };
}
