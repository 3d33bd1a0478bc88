import { describe, expect, test } from 'vitest';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { TargetGroupNotFoundException } from '@aws-sdk/client-elastic-load-balancing-v2';
import { NO_CREDENTIALS, awsErrorCode, describeAwsError, isAccessDenied, isCapacity, isDryRunOk, isMissingCredentials, isNotFound, isThrottle } from '../../src/aws/errors.ts';

const ec2 = (code: string, message = 'x', status = 400) => {
  const e = new EC2ServiceException({ name: code, $fault: 'client', $metadata: { httpStatusCode: status }, message });
  Object.assign(e, { Code: code });
  return e;
};

describe('isNotFound', () => {
  test.each([
    'InvalidInstanceID.NotFound', 'InvalidVolume.NotFound', 'InvalidAMIID.NotFound', 'InvalidAMIID.Unavailable',
    'InvalidSnapshot.NotFound', 'InvalidKeyPair.NotFound', 'InvalidGroup.NotFound', 'InvalidPermission.NotFound',
    'InvalidSecurityGroupRuleId.NotFound',
  ])('%s is already gone', (code) => {
    expect(isNotFound(ec2(code))).toBe(true);
  });

  test('ELBv2 typed exceptions', () => {
    const e = new TargetGroupNotFoundException({ $metadata: {}, message: 'One or more target groups not found' });
    expect(isNotFound(e)).toBe(true);
  });

  test('other errors are not', () => {
    expect(isNotFound(ec2('InvalidSnapshot.InUse'))).toBe(false);
    expect(isNotFound(ec2('UnauthorizedOperation'))).toBe(false);
    expect(isNotFound(new Error('InvalidInstanceID.NotFound'))).toBe(false);
    expect(isNotFound(undefined)).toBe(false);
  });
});

test('isThrottle by code, status 429 or retryable trait', () => {
  expect(isThrottle(ec2('RequestLimitExceeded', 'Request limit exceeded.', 503))).toBe(true);
  expect(isThrottle(ec2('ThrottlingException'))).toBe(true);
  expect(isThrottle({ name: 'Whatever', $metadata: { httpStatusCode: 429 } })).toBe(true);
  expect(isThrottle({ name: 'Whatever', $retryable: { throttling: true } })).toBe(true);
  expect(isThrottle(ec2('InternalError', 'x', 500))).toBe(false);
  expect(isThrottle('RequestLimitExceeded')).toBe(false);
});

test('isCapacity: insufficient capacity, or a type not offered in that zone', () => {
  expect(isCapacity(ec2('InsufficientInstanceCapacity'))).toBe(true);
  expect(isCapacity(ec2('Unsupported', 'Your requested instance type (t3.2xlarge) is not supported in your requested Availability Zone (eu-west-1c).'))).toBe(true);
  expect(isCapacity(ec2('Unsupported', 'The requested configuration is currently not supported.'))).toBe(false);
  expect(isCapacity(ec2('InvalidParameterValue'))).toBe(false);
});

test('isDryRunOk and isAccessDenied', () => {
  expect(isDryRunOk(ec2('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412))).toBe(true);
  expect(isDryRunOk(ec2('UnauthorizedOperation'))).toBe(false);
  expect(isAccessDenied(ec2('UnauthorizedOperation'))).toBe(true);
  expect(isAccessDenied({ name: 'CredentialsProviderError', message: 'Could not load credentials from any providers' })).toBe(true);
  expect(isAccessDenied(ec2('DryRunOperation'))).toBe(false);
});

describe('describeAwsError', () => {
  test('code and message on one line', () => {
    expect(describeAwsError(ec2('InvalidAMIID.NotFound', "The image id '[ami-1]' does not exist"))).toBe(
      "InvalidAMIID.NotFound: The image id '[ami-1]' does not exist",
    );
  });

  test('drops the encoded authorization blob and newlines', () => {
    const e = ec2('UnauthorizedOperation', 'You are not authorized to perform this operation.\nUser: arn:aws:iam::1:user/x Encoded authorization failure message: AbC'.padEnd(3000, 'x'));
    const text = describeAwsError(e);
    expect(text).toBe('UnauthorizedOperation: You are not authorized to perform this operation. User: arn:aws:iam::1:user/x');
  });

  test('bounded length; non-AWS errors still readable', () => {
    expect(describeAwsError(ec2('InternalError', 'y'.repeat(1000))).length).toBeLessThanOrEqual(300);
    expect(describeAwsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe(
      'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(describeAwsError('boom')).toBe('boom');
    expect(awsErrorCode(new Error('plain'))).toBeNull();
  });
});

describe('missing credentials', () => {
  test("the default chain's error becomes one line on how to provide credentials", async () => {
    const { CredentialsProviderError } = await import('@smithy/core/config');
    const err = new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false });
    expect(isMissingCredentials(err)).toBe(true);
    expect(isAccessDenied(err)).toBe(true);
    expect(describeAwsError(err)).toBe(NO_CREDENTIALS);
    expect(NO_CREDENTIALS).toMatch(/AWS_PROFILE.*AWS_ACCESS_KEY_ID.*instance or task role/);
  });

  test('refused credentials are not missing ones', () => {
    expect(isMissingCredentials(ec2('AuthFailure', 'AWS was not able to validate the provided access credentials'))).toBe(false);
    expect(describeAwsError(ec2('AuthFailure', 'AWS was not able to validate the provided access credentials'))).toBe(
      'AuthFailure: AWS was not able to validate the provided access credentials',
    );
  });
});
