// AWS identifiers as they appear in stagebot.yml.

import * as z from 'zod';
import { matching } from './fields.ts';
import { expected } from './messages.ts';

// Every partition's region names (the AWS SDK's partitions.json patterns), with the direction spelled
// out so that a typo like `eu-wset-1` is caught here rather than as a DNS error in the middle of a run.
const REGION =
  /^(?:(?:us|eu|ap|sa|ca|me|af|il|mx|cn)|us-gov|us-iso[bef]?|eu-isoe|eusc-de)-(?:(?:north|south)?(?:east|west)|north|south|central)-\d{1,2}$/;

export function isRegion(value: string): boolean {
  return REGION.test(value);
}

export function region() {
  return matching(REGION, 'an AWS region like eu-west-1');
}

/** Quoted: a bare 12-digit number in YAML is an integer and would lose a leading zero. */
export const accountId = () => matching(/^\d{12}$/, 'a 12-digit AWS account id in quotes, like "123456789012"');

export const amiId = () => matching(/^ami-[0-9a-f]{8,17}$/, 'an AMI id like ami-0a1b2c3d4e5f60001');
/** An environment's AMI: an id, or an image of the manifest by channel (`image:mentor-app@stable`). */
export function amiOrImage() {
  // The hint follows what was meant: an id, or an image of the manifest.
  const error = (iss: { input?: unknown }) =>
    expected(
      typeof iss.input === 'string' && iss.input.startsWith('image:')
        ? 'image:NAME@CHANNEL with an image name like mentor-app and a channel candidate, latest or stable'
        : 'an AMI id like ami-0a1b2c3d4e5f60001',
      iss.input,
    );
  return z.string({ error }).regex(/^(?:ami-[0-9a-f]{8,17}|image:[a-z][a-z0-9-]{0,62}@(?:candidate|latest|stable))$/, { error });
}
export const subnetId = () => matching(/^subnet-[0-9a-f]{8,17}$/, 'a subnet id like subnet-0aa1111111111111a');
export const securityGroupId = () => matching(/^sg-[0-9a-f]{8,17}$/, 'a security group id like sg-0c1c1c1c1c1c1c1c1');

/** Family, generation and size: t3.2xlarge, m7i-flex.large, u-6tb1.metal, c6gn.16xlarge. */
export const instanceType = () =>
  matching(/^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9-]+$/, 'an EC2 instance type like t3.2xlarge');

/** An existing key pair's name (AWS allows printable ASCII), or `ephemeral` for one per run. */
export const keyPair = () =>
  matching(/^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/, 'ephemeral, or the name of an existing EC2 key pair');

const TARGET_GROUP_ARN =
  /^arn:(aws|aws-cn|aws-us-gov):elasticloadbalancing:([a-z0-9-]+):(\d{12}):targetgroup\/([A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?)\/([0-9a-f]{16})$/;

export interface TargetGroupArnParts {
  partition: string;
  region: string;
  accountId: string;
  name: string;
}

export function parseTargetGroupArn(arn: string): TargetGroupArnParts | null {
  const m = TARGET_GROUP_ARN.exec(arn);
  if (!m) return null;
  const [, partition = '', region = '', accountId = '', name = ''] = m;
  return isRegion(region) ? { partition, region, accountId, name } : null;
}

export function targetGroupArn() {
  const hint = 'a target group ARN like arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0a1b2c3d4e5f6071';
  const error = (iss: { input?: unknown }) => expected(hint, iss.input);
  return z.string({ error }).refine((arn) => parseTargetGroupArn(arn) !== null, { error });
}
