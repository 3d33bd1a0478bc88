import { describe, expect, test } from 'vitest';
import { AccountNotAllowedError, AwsCredentialsError, checkAccount } from '../../src/aws/account.ts';
import { NO_CREDENTIALS } from '../../src/aws/errors.ts';
import { UserError } from '../../src/errors.ts';
import { FakeCloud, awsError, createFakeAwsClients, throttle } from '../fakes/cloud/index.ts';

describe('checkAccount', () => {
  test('returns the account when it is allowed', async () => {
    const cloud = new FakeCloud({ accountId: '123456789012' });
    const aws = createFakeAwsClients(cloud);
    expect(await checkAccount(aws.sts('eu-west-1'), ['000000000000', '123456789012'])).toBe('123456789012');
  });

  test('refuses another account with one line naming both', async () => {
    const cloud = new FakeCloud({ accountId: '999999999999' });
    const sts = createFakeAwsClients(cloud).sts('us-east-1');
    const err = await checkAccount(sts, ['123456789012']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccountNotAllowedError);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe('AWS account 999999999999 is not in aws.accountAllowlist (allowed: 123456789012)');
    await expect(checkAccount(sts, [])).rejects.toThrow('(allowed: none)');
  });

  test('asks STS once per client', async () => {
    const cloud = new FakeCloud();
    const sts = createFakeAwsClients(cloud).sts('us-east-1');
    await Promise.all([checkAccount(sts, ['123456789012']), checkAccount(sts, ['123456789012'])]);
    await checkAccount(sts, ['123456789012']);
    expect(cloud.callCount('GetCallerIdentity')).toBe(1);
  });

  test('refused credentials become a user error, and are asked again next time', async () => {
    const cloud = new FakeCloud();
    const sts = createFakeAwsClients(cloud).sts('us-east-1');
    cloud.failNext('GetCallerIdentity', awsError('sts', 'ExpiredToken', 'The security token included in the request is expired', { status: 403 }));
    const err = await checkAccount(sts, ['123456789012']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsCredentialsError);
    expect((err as Error).message).toBe('AWS credentials were refused: ExpiredToken: The security token included in the request is expired');
    expect(await checkAccount(sts, ['123456789012'])).toBe('123456789012');
    expect(cloud.callCount('GetCallerIdentity')).toBe(2);
  });

  test('a throttle is retried by the SDK, not reported', async () => {
    const cloud = new FakeCloud();
    const sts = createFakeAwsClients(cloud).sts('us-east-1');
    cloud.failNext('GetCallerIdentity', throttle('sts'), { times: 2 });
    expect(await checkAccount(sts, ['123456789012'])).toBe('123456789012');
    expect(cloud.callCount('GetCallerIdentity')).toBe(3);
  });

  test('no credentials at all: one line saying how to provide them, and STS was never reached', async () => {
    const cloud = new FakeCloud();
    const sts = createFakeAwsClients(cloud, { credentials: 'none' }).sts('us-east-1');
    const err = await checkAccount(sts, ['123456789012']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsCredentialsError);
    expect((err as Error).message).toBe(NO_CREDENTIALS);
    expect(cloud.callCount('GetCallerIdentity')).toBe(0);
  });
});
