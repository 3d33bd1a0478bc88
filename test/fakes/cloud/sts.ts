// STS GetCallerIdentity: the account the fake cloud pretends the credentials belong to.

import type { GetCallerIdentityResponse } from '@aws-sdk/client-sts';
import type { Ctx } from './context.ts';

export function getCallerIdentity(ctx: Ctx): GetCallerIdentityResponse {
  return { UserId: 'AIDAFAKEUSERID000000', Account: ctx.cloud.accountId, Arn: `arn:aws:iam::${ctx.cloud.accountId}:user/stagebot` };
}
