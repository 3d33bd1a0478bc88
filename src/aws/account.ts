// The guard before the first mutating call: the credentials must belong to an allowed account.
// A misconfigured profile pointing at production stops here, not after it launched or reaped something.

import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { EXIT_CODES, UserError } from '../errors.ts';
import { describeAwsError, isAccessDenied, isMissingCredentials } from './errors.ts';

export class AccountNotAllowedError extends UserError {
  override readonly name = 'AccountNotAllowedError';
  override readonly exitCode = EXIT_CODES.accountRefused;
  readonly accountId: string;
  constructor(accountId: string, allowlist: readonly string[]) {
    const allowed = allowlist.length > 0 ? allowlist.join(', ') : 'none';
    super(`AWS account ${accountId} is not in aws.accountAllowlist (allowed: ${allowed})`);
    this.accountId = accountId;
  }
}

/** STS refused the credentials (none found, expired, wrong): nothing can run until someone fixes them. */
export class AwsCredentialsError extends UserError {
  override readonly name = 'AwsCredentialsError';
}

// The account behind a client never changes within a process; asking STS once per client is enough.
// A failed lookup is not cached, so fixed credentials work on the next try.
const identities = new WeakMap<STSClient, Promise<string>>();

async function lookupAccount(sts: STSClient): Promise<string> {
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    if (!out.Account) throw new Error('STS GetCallerIdentity returned no Account');
    return out.Account;
  } catch (err) {
    if (isMissingCredentials(err)) throw new AwsCredentialsError(describeAwsError(err));
    if (isAccessDenied(err)) throw new AwsCredentialsError(`AWS credentials were refused: ${describeAwsError(err)}`);
    throw err;
  }
}

export function callerAccount(sts: STSClient): Promise<string> {
  let pending = identities.get(sts);
  if (!pending) {
    pending = lookupAccount(sts);
    identities.set(sts, pending);
    pending.catch(() => {
      if (identities.get(sts) === pending) identities.delete(sts);
    });
  }
  return pending;
}

/** The account id when it is allowed; throws AccountNotAllowedError (or AwsCredentialsError) otherwise. */
export async function checkAccount(sts: STSClient, allowlist: readonly string[]): Promise<string> {
  const account = await callerAccount(sts);
  if (!allowlist.includes(account)) throw new AccountNotAllowedError(account, allowlist);
  return account;
}
