// Targets have no AWS id of their own; stagebot names them by target group and instance.
import { expect, test } from 'vitest';
import { parseTargetAssetId, targetAssetId } from '../../src/domain/asset.ts';

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/stg4-web/0a1b2c3d4e5f6074';

test('a target id reads back into its target group and instance', () => {
  const id = targetAssetId(ARN, 'i-0123456789abcdef0');
  expect(id).toBe(`${ARN}|i-0123456789abcdef0`);
  expect(parseTargetAssetId(id)).toEqual({ targetGroupArn: ARN, instanceId: 'i-0123456789abcdef0' });
});

test('anything else is not a target id', () => {
  for (const bad of ['i-0123456789abcdef0', `${ARN}|`, '|i-0123456789abcdef0', '']) expect(parseTargetAssetId(bad)).toBeNull();
});
