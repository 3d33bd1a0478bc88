// The RunInstances request of a run, shared by the launch step and `launch --dry-run` so the dry
// run checks exactly what the launch will ask for.
import { createHash } from 'node:crypto';
import type { RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import { tagSpecifications } from '../../../aws/tags.ts';
import { resourceTypesCreatedBy } from '../../../aws/kinds/index.ts';
import type { EnvironmentConfig } from '../../../config/index.ts';
import type { LaunchImage } from './launch-image.ts';

export const EPHEMERAL_KEY_PAIR = 'ephemeral';

/** The key pair an ephemeral-key run creates (and teardown deletes). */
export function ephemeralKeyName(runId: string): string {
  return `stagebot-${runId}`;
}

const MAX_CLIENT_TOKEN = 64;

/**
 * RunInstances' idempotency token. The same attempt in the same subnet always sends the same token, so
 * a retried call (by the SDK, or after a lost response) gets the instance it already made instead of a
 * second one; another subnet or a later attempt (`generation`) gets its own, since AWS refuses a token
 * reused with other parameters. The lease epoch is part of it: each driver a run ever had launches
 * under its own tokens, so nothing one driver sent is ever answered to another.
 */
export function launchClientToken(runId: string, epoch: number, generation: number, subnetIndex: number): string {
  const token = `${runId}-e${epoch}-${generation}-${subnetIndex}`;
  return token.length <= MAX_CLIENT_TOKEN ? token : createHash('sha256').update(token).digest('hex').slice(0, MAX_CLIENT_TOKEN);
}

export interface LaunchRequestInput {
  env: EnvironmentConfig;
  image: LaunchImage;
  subnetId: string;
  /** null: launch without a key pair (only the dry run of an ephemeral-key launch, whose key does not exist yet). */
  keyName: string | null;
  tags: Tag[];
  clientToken?: string;
  dryRun?: boolean;
}

export function runInstancesRequest(r: LaunchRequestInput): RunInstancesCommandInput {
  return {
    ImageId: r.image.imageId,
    InstanceType: r.env.instanceType as RunInstancesCommandInput['InstanceType'],
    MinCount: 1,
    MaxCount: 1,
    SubnetId: r.subnetId,
    SecurityGroupIds: [r.env.securityGroup],
    ...(r.keyName !== null ? { KeyName: r.keyName } : {}),
    BlockDeviceMappings: [
      {
        DeviceName: r.image.rootDeviceName,
        Ebs: { VolumeSize: r.env.rootVolume.sizeGb, VolumeType: r.env.rootVolume.type, DeleteOnTermination: true, Encrypted: true },
      },
    ],
    // IMDSv2 only: a token-less metadata request (the SSRF kind) gets nothing.
    MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled' },
    // The dead man's switch (arm-switch) powers the host off; this makes that a termination.
    ...(r.env.deadManSwitch.enabled ? { InstanceInitiatedShutdownBehavior: 'terminate' as const } : {}),
    TagSpecifications: tagSpecifications(resourceTypesCreatedBy('RunInstances'), r.tags),
    ...(r.clientToken !== undefined ? { ClientToken: r.clientToken } : {}),
    ...(r.dryRun ? { DryRun: true } : {}),
  };
}
