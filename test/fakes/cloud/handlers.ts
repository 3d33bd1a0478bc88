// Which commands the fake cloud answers, per service. A command not listed fails loudly, so a test never
// silently passes against a behaviour the fake does not have.

import type { AwsService } from '../../../src/aws/clients.ts';
import type { Handler } from './context.ts';
import { authorizeSecurityGroupIngress, describeSecurityGroupRules, describeSecurityGroups, revokeSecurityGroupIngress } from './ec2-security-groups.ts';
import { createKeyPair, deleteKeyPair, describeKeyPairs } from './ec2-key-pairs.ts';
import { createImage, deleteSnapshot, deregisterImage, describeImages, describeSnapshots } from './ec2-images.ts';
import { copyImage, describeImageAttribute, disableImageDeprecation, enableImageDeprecation, modifyImageAttribute } from './ec2-image-copy.ts';
import { describeInstances, runInstances, startInstances, stopInstances, terminateInstances } from './ec2-instances.ts';
import { deleteNetworkInterface, describeNetworkInterfaces } from './ec2-network-interfaces.ts';
import { createTags, deleteTags } from './ec2-tags.ts';
import { deleteVolume, describeVolumes } from './ec2-volumes.ts';
import { deregisterTargets, describeTargetGroups, describeTargetHealth, registerTargets } from './elbv2.ts';
import { getCallerIdentity } from './sts.ts';
import { getResources } from './tagging.ts';

export const HANDLERS: Record<AwsService, Record<string, Handler>> = {
  ec2: {
    RunInstances: runInstances,
    DescribeInstances: describeInstances,
    TerminateInstances: terminateInstances,
    StopInstances: stopInstances,
    StartInstances: startInstances,
    CreateImage: createImage,
    CopyImage: copyImage,
    ModifyImageAttribute: modifyImageAttribute,
    DescribeImageAttribute: describeImageAttribute,
    EnableImageDeprecation: enableImageDeprecation,
    DisableImageDeprecation: disableImageDeprecation,
    CreateTags: createTags,
    DeleteTags: deleteTags,
    DescribeNetworkInterfaces: describeNetworkInterfaces,
    DeleteNetworkInterface: deleteNetworkInterface,
    DescribeVolumes: describeVolumes,
    DeleteVolume: deleteVolume,
    DescribeImages: describeImages,
    DeregisterImage: deregisterImage,
    DescribeSnapshots: describeSnapshots,
    DeleteSnapshot: deleteSnapshot,
    AuthorizeSecurityGroupIngress: authorizeSecurityGroupIngress,
    RevokeSecurityGroupIngress: revokeSecurityGroupIngress,
    DescribeSecurityGroupRules: describeSecurityGroupRules,
    DescribeSecurityGroups: describeSecurityGroups,
    CreateKeyPair: createKeyPair,
    DeleteKeyPair: deleteKeyPair,
    DescribeKeyPairs: describeKeyPairs,
  },
  elbv2: {
    DescribeTargetGroups: describeTargetGroups,
    DescribeTargetHealth: describeTargetHealth,
    RegisterTargets: registerTargets,
    DeregisterTargets: deregisterTargets,
  },
  tagging: { GetResources: getResources },
  sts: { GetCallerIdentity: getCallerIdentity },
  pricing: {},
  // Artifacts in S3 are tested against moto (test/artifacts); the fake cloud has no buckets.
  s3: {},
};
