// AWS-shaped ids and ARNs. Random like AWS's, so nothing can come to depend on creation order.

import { randomBytes } from 'node:crypto';

/** `i-0a1b2c3d4e5f60718` style: the prefix, then 17 hex characters. */
export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;
}

export function newHex(chars: number): string {
  return randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars);
}

export const ARN_TYPES = {
  instance: 'instance',
  volume: 'volume',
  image: 'image',
  snapshot: 'snapshot',
  'security-group-rule': 'security-group-rule',
  'key-pair': 'key-pair',
  'network-interface': 'network-interface',
} as const;
export type ArnType = keyof typeof ARN_TYPES;

/** EC2 ARNs as the Tagging API returns them. Images and snapshots carry no account (they can be shared). */
export function ec2Arn(region: string, accountId: string, type: ArnType, id: string): string {
  const account = type === 'image' || type === 'snapshot' ? '' : accountId;
  return `arn:aws:ec2:${region}:${account}:${type}/${id}`;
}

export function targetGroupArn(region: string, accountId: string, name: string): string {
  return `arn:aws:elasticloadbalancing:${region}:${accountId}:targetgroup/${name}/${newHex(16)}`;
}
