// open-ssh: lets the bot reach the new host's sshd, by one tagged ingress rule per allowed CIDR on the
// environment's security group. Only the rules this run created (or an earlier attempt of it did) are
// recorded, because teardown revokes what is recorded: a rule someone else keeps is never ours.
import {
  AuthorizeSecurityGroupIngressCommand,
  paginateDescribeSecurityGroupRules,
  type EC2Client,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { awsErrorCode } from '../../aws/errors.ts';
import { tagSpecifications } from '../../aws/tags.ts';
import { resourceTypesCreatedBy } from '../../aws/kinds/index.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import { stepError } from './helpers/aws-step-error.ts';
import type { OpenSshOutputs } from '../step-outputs.ts';
import { isRunResource, runTagFilters } from '../../aws/run-ownership.ts';

const DUPLICATE = 'InvalidPermission.Duplicate';

async function run(ctx: RunContext): Promise<StepResult<OpenSshOutputs>> {
  const cidrs = [...new Set(ctx.env.ssh.allowFrom)];
  if (cidrs.length === 0) return { outputs: { ruleIds: [], alreadyOpen: [] }, skipped: `ssh.allowFrom of ${ctx.env.name} is empty` };
  const ec2 = ctx.aws.ec2(ctx.env.region);
  const where = `port ${ctx.env.ssh.port} of ${ctx.env.securityGroup}`;

  try {
    const ruleIds = await authorize(ctx, ec2, cidrs);
    ctx.log(`opened ${where} to ${cidrs.join(', ')}`);
    return { outputs: { ruleIds, alreadyOpen: [] } satisfies OpenSshOutputs };
  } catch (err) {
    if (awsErrorCode(err) !== DUPLICATE) throw stepError(`AuthorizeSecurityGroupIngress on ${ctx.env.securityGroup}`, err);
  }

  // Some CIDR is open already (AWS refuses the whole call then): sort them out one at a time.
  const ours = await runRules(ctx, ec2);
  const ruleIds: string[] = [];
  const alreadyOpen: string[] = [];
  for (const cidr of cidrs) {
    const mine = ours.find((r) => r.CidrIpv4 === cidr);
    if (mine?.SecurityGroupRuleId) {
      await ctx.recordAsset('security-group-rule', mine.SecurityGroupRuleId);
      ruleIds.push(mine.SecurityGroupRuleId);
      ctx.log(`${where} is already open to ${cidr} by this run's rule ${mine.SecurityGroupRuleId}; keeping it`);
      continue;
    }
    try {
      ruleIds.push(...(await authorize(ctx, ec2, [cidr])));
      ctx.log(`opened ${where} to ${cidr}`);
    } catch (err) {
      if (awsErrorCode(err) !== DUPLICATE) throw stepError(`AuthorizeSecurityGroupIngress on ${ctx.env.securityGroup}`, err);
      alreadyOpen.push(cidr);
      ctx.log(`${where} is already open to ${cidr} by a rule that is not this run's; leaving it as it is`);
    }
  }
  return { outputs: { ruleIds, alreadyOpen } satisfies OpenSshOutputs };
}

export const openSshStep: PipelineStep<'open-ssh'> = { name: 'open-ssh', safeToRepeat: true, run };

/** Authorizes the CIDRs in one call and records each rule AWS created. */
async function authorize(ctx: RunContext, ec2: EC2Client, cidrs: string[]): Promise<string[]> {
  const description = `stagebot ${ctx.run.id}`;
  // No abort signal: a call cut off after AWS acted would leave a rule whose id we never saw.
  const out = await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: ctx.env.securityGroup,
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: ctx.env.ssh.port, ToPort: ctx.env.ssh.port, IpRanges: cidrs.map((CidrIp) => ({ CidrIp, Description: description })) },
      ],
      TagSpecifications: tagSpecifications(resourceTypesCreatedBy('AuthorizeSecurityGroupIngress'), ctx.tags(description)),
    }),
  );
  const ids = (out.SecurityGroupRules ?? []).flatMap((r) => (r.SecurityGroupRuleId ? [r.SecurityGroupRuleId] : []));
  for (const id of ids) await ctx.recordAsset('security-group-rule', id);
  return ids;
}

/** This run's SSH ingress rules on the environment's group (left by an earlier attempt of the run). */
async function runRules(ctx: RunContext, ec2: EC2Client): Promise<SecurityGroupRule[]> {
  const who = { installation: ctx.config.installation, runId: ctx.run.id };
  const port = ctx.env.ssh.port;
  const found: SecurityGroupRule[] = [];
  try {
    const pages = paginateDescribeSecurityGroupRules(
      { client: ec2, pageSize: 100 },
      { Filters: [{ Name: 'group-id', Values: [ctx.env.securityGroup] }, ...runTagFilters(who)] },
      { abortSignal: ctx.signal },
    );
    for await (const page of pages) found.push(...(page.SecurityGroupRules ?? []));
  } catch (err) {
    throw stepError(`DescribeSecurityGroupRules of ${ctx.env.securityGroup}`, err);
  }
  return found.filter(
    (r) => !r.IsEgress && r.IpProtocol === 'tcp' && r.FromPort === port && r.ToPort === port && isRunResource(r.Tags, who),
  );
}
