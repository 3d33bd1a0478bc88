import { describe, expect, it } from 'vitest';
import { isRegion, parseTargetGroupArn } from '../../src/config/aws-fields.ts';
import { cidrProblem } from '../../src/config/network-fields.ts';
import { closestKey } from '../../src/config/suggest.ts';

describe('cidrProblem', () => {
  it('accepts network addresses with a prefix', () => {
    for (const ok of ['203.0.113.10/32', '10.0.0.0/8', '192.168.4.0/22', '0.0.0.0/1']) expect(cidrProblem(ok)).toBeNull();
  });

  it('refuses bare addresses, IPv6, bad prefixes and octets', () => {
    for (const bad of ['203.0.113.10', '2001:db8::/32', '10.0.0.0/33', '10.0.0.0/x', '10.0.0.256/32', '10.0.0/24', '10.0.0.0/8/8']) {
      expect(cidrProblem(bad)).toBe(`expected an IPv4 CIDR like 203.0.113.10/32, got "${bad}"`);
    }
  });

  it('suggests the network for a CIDR with host bits set', () => {
    expect(cidrProblem('192.168.5.77/22')).toBe('"192.168.5.77/22" has host bits set (did you mean 192.168.4.0/22 or 192.168.5.77/32?)');
  });
});

describe('parseTargetGroupArn', () => {
  it('splits a target group ARN', () => {
    expect(parseTargetGroupArn('arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/stg1-web/0a1b2c3d4e5f6071')).toEqual({
      partition: 'aws',
      region: 'eu-west-1',
      accountId: '123456789012',
      name: 'stg1-web',
    });
    expect(parseTargetGroupArn('arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/a/0a1b2c3d4e5f6071')?.region).toBe(
      'us-gov-west-1',
    );
  });

  it('refuses load balancers, short accounts, bad ids and bad regions', () => {
    for (const bad of [
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/0a1b2c3d4e5f6071',
      'arn:aws:elasticloadbalancing:eu-west-1:1234:targetgroup/web/0a1b2c3d4e5f6071',
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/xyz',
      'arn:aws:elasticloadbalancing:europe:123456789012:targetgroup/web/0a1b2c3d4e5f6071',
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/-web/0a1b2c3d4e5f6071',
    ]) {
      expect(parseTargetGroupArn(bad)).toBeNull();
    }
  });
});

describe('isRegion', () => {
  it('knows the shapes of every partition and catches typos in the direction', () => {
    for (const ok of ['us-east-1', 'eu-central-2', 'ap-southeast-7', 'il-central-1', 'cn-northwest-1', 'us-gov-west-1', 'us-isob-east-1', 'eusc-de-east-1', 'ca-west-1']) {
      expect(isRegion(ok), ok).toBe(true);
    }
    for (const bad of ['eu-wset-1', 'europe-west1', 'us-east', 'US-EAST-1', 'xx-east-1']) expect(isRegion(bad), bad).toBe(false);
  });
});

describe('closestKey', () => {
  it('finds close keys and ignores unrelated ones', () => {
    const known = ['instanceType', 'subnets', 'securityGroup', 'keyPair'];
    expect(closestKey('instanceTyp', known)).toBe('instanceType');
    expect(closestKey('instance_type', known)).toBe('instanceType');
    expect(closestKey('KEYPAIR', known)).toBe('keyPair');
    expect(closestKey('region', known)).toBeUndefined();
  });
});
