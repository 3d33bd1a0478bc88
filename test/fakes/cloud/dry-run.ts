// A DryRun is answered DryRunOperation only for a request that would have gone through: AWS looks at
// the resources it names first (a missing subnet is InvalidSubnetID.NotFound, dry run or not). These are
// the checks of each command, run without changing anything; a command not listed is only permission-checked.
import type { AuthorizeSecurityGroupIngressRequest, CreateKeyPairRequest, RunInstancesRequest } from '@aws-sdk/client-ec2';
import type { Ctx } from './context.ts';
import { checkNewKeyName } from './ec2-key-pairs.ts';
import { checkLaunch } from './ec2-instances.ts';
import { requireGroup } from './ec2-security-groups.ts';

export const DRY_RUN_CHECKS: Record<string, (ctx: Ctx, input: object) => void> = {
  RunInstances: (ctx, input) => void checkLaunch(ctx, input as RunInstancesRequest),
  AuthorizeSecurityGroupIngress: (ctx, input) => void requireGroup(ctx.region, (input as AuthorizeSecurityGroupIngressRequest).GroupId),
  CreateKeyPair: (ctx, input) => checkNewKeyName(ctx.region, (input as CreateKeyPairRequest).KeyName ?? ''),
};
