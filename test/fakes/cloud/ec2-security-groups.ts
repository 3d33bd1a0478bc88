// Security-group rules, each its own taggable resource (`sgr-...`) since 2021: Authorize (tagged at
// creation), Revoke by rule id, DescribeSecurityGroupRules with filters and pagination; plus
// DescribeSecurityGroups for a step that checks its group exists.

import type {
  AuthorizeSecurityGroupIngressRequest,
  AuthorizeSecurityGroupIngressResult,
  DescribeSecurityGroupRulesRequest,
  DescribeSecurityGroupRulesResult,
  DescribeSecurityGroupsRequest,
  DescribeSecurityGroupsResult,
  IpPermission,
  RevokeSecurityGroupIngressRequest,
  RevokeSecurityGroupIngressResult,
  SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import type { Ctx } from './context.ts';
import { ec2Error } from './errors.ts';
import { matchesFilters, validateFilters } from './filters.ts';
import { ec2Arn, newId } from './ids.ts';
import { live, tagList, type FakeSecurityGroup, type FakeSgRule, type RegionState } from './model.ts';
import { paginate } from './paginate.ts';
import { tagsBySpec } from './ec2-tags.ts';

const MAX_INGRESS_RULES = 60;
const RULE_FILTERS = ['group-id', 'security-group-rule-id'];
const GROUP_FILTERS = ['group-id', 'group-name', 'vpc-id'];
const PROTOCOLS: Record<string, string> = { tcp: 'tcp', '6': 'tcp', udp: 'udp', '17': 'udp', icmp: 'icmp', '1': 'icmp', '-1': '-1', all: '-1' };
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

interface RuleSpec {
  ipProtocol: string;
  fromPort: number;
  toPort: number;
  cidrIpv4: string;
  description: string | undefined;
}

export function requireGroup(region: RegionState, groupId: string | undefined): FakeSecurityGroup {
  if (!groupId) throw ec2Error('MissingParameter', 'The request must contain the parameter groupId');
  const sg = live(region.securityGroups.get(groupId));
  if (!sg) throw ec2Error('InvalidGroup.NotFound', `The security group '${groupId}' does not exist`);
  return sg;
}

function ruleSpecs(input: { IpPermissions?: IpPermission[]; IpProtocol?: string; FromPort?: number; ToPort?: number; CidrIp?: string }): RuleSpec[] {
  const perms: IpPermission[] = input.IpPermissions?.length
    ? input.IpPermissions
    : [{ IpProtocol: input.IpProtocol, FromPort: input.FromPort, ToPort: input.ToPort, IpRanges: input.CidrIp ? [{ CidrIp: input.CidrIp }] : [] }];
  return perms.flatMap((p) => {
    if (p.Ipv6Ranges?.length || p.UserIdGroupPairs?.length || p.PrefixListIds?.length) {
      throw new Error('FakeCloud: only IPv4 CIDR rules are implemented');
    }
    const protocol = PROTOCOLS[String(p.IpProtocol ?? '').toLowerCase()];
    if (!protocol) throw ec2Error('InvalidParameterValue', `Invalid value '${p.IpProtocol ?? ''}' for IP protocol. Unknown protocol.`);
    const all = protocol === '-1';
    const from = all ? -1 : (p.FromPort ?? -1);
    const to = all ? -1 : (p.ToPort ?? -1);
    if (!all && protocol !== 'icmp' && (from < 0 || to > 65535 || from > to)) {
      throw ec2Error('InvalidParameterValue', `Invalid port range: ${from}-${to} (ports 0-65535, from <= to)`);
    }
    if (!p.IpRanges?.length) throw ec2Error('MissingParameter', 'The request must contain a CIDR (IpRanges.CidrIp)');
    return p.IpRanges.map((r) => {
      const cidr = r.CidrIp ?? '';
      const m = CIDR.exec(cidr);
      if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
        throw ec2Error('InvalidParameterValue', `CIDR block ${cidr} is malformed`);
      }
      return { ipProtocol: protocol, fromPort: from, toPort: to, cidrIpv4: cidr, description: r.Description };
    });
  });
}

const sameRule = (r: FakeSgRule, s: RuleSpec) =>
  r.ipProtocol === s.ipProtocol && r.fromPort === s.fromPort && r.toPort === s.toPort && r.cidrIpv4 === s.cidrIpv4;

function rulesOf(region: RegionState, groupId: string, egress: boolean): FakeSgRule[] {
  return [...region.sgRules.values()].filter((r) => r.deletedAt === null && r.groupId === groupId && r.isEgress === egress);
}

export function renderRule(ctx: Ctx, r: FakeSgRule): SecurityGroupRule {
  return {
    SecurityGroupRuleId: r.id,
    GroupId: r.groupId,
    GroupOwnerId: ctx.cloud.accountId,
    IsEgress: r.isEgress,
    IpProtocol: r.ipProtocol,
    FromPort: r.fromPort,
    ToPort: r.toPort,
    CidrIpv4: r.cidrIpv4,
    ...(r.description !== undefined ? { Description: r.description } : {}),
    SecurityGroupRuleArn: ec2Arn(ctx.region.name, ctx.cloud.accountId, 'security-group-rule', r.id),
    Tags: tagList(r.tags) ?? [],
  };
}

export function authorizeSecurityGroupIngress(ctx: Ctx, input: AuthorizeSecurityGroupIngressRequest): AuthorizeSecurityGroupIngressResult {
  const sg = requireGroup(ctx.region, input.GroupId);
  const specs = ruleSpecs(input);
  const tags = tagsBySpec(input.TagSpecifications, ['security-group-rule'], ctx.cloud.options.strictTagValues).get('security-group-rule');
  const existing = rulesOf(ctx.region, sg.id, false);
  for (const s of specs) {
    if (existing.some((r) => sameRule(r, s))) {
      const proto = s.ipProtocol === '-1' ? 'ALL' : s.ipProtocol.toUpperCase();
      throw ec2Error('InvalidPermission.Duplicate', `the specified rule "peer: ${s.cidrIpv4}, ${proto}, from port: ${s.fromPort}, to port: ${s.toPort}, ALLOW" already exists`);
    }
  }
  if (existing.length + specs.length > MAX_INGRESS_RULES) {
    throw ec2Error('RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.');
  }
  const created = specs.map((s) => {
    const rule: FakeSgRule = { id: newId('sgr'), groupId: sg.id, isEgress: false, ...s, tags: new Map(tags), createdAt: ctx.now, deletedAt: null };
    ctx.region.sgRules.set(rule.id, rule);
    ctx.cloud.recordCreation(ctx.region.name, 'security-group-rule', rule.id, rule.tags);
    return rule;
  });
  return { Return: true, SecurityGroupRules: created.map((r) => renderRule(ctx, r)) };
}

export function revokeSecurityGroupIngress(ctx: Ctx, input: RevokeSecurityGroupIngressRequest): RevokeSecurityGroupIngressResult {
  const sg = requireGroup(ctx.region, input.GroupId);
  const ingress = rulesOf(ctx.region, sg.id, false);
  if (input.SecurityGroupRuleIds?.length) {
    const rules = input.SecurityGroupRuleIds.map((id) => {
      const rule = ingress.find((r) => r.id === id);
      if (!rule) throw ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${id}' does not exist`);
      return rule;
    });
    for (const r of rules) r.deletedAt = ctx.now;
    return { Return: true, RevokedSecurityGroupRules: rules.map((r) => ({ SecurityGroupRuleId: r.id, GroupId: r.groupId, IsEgress: false, IpProtocol: r.ipProtocol, FromPort: r.fromPort, ToPort: r.toPort, CidrIpv4: r.cidrIpv4 })) };
  }
  // Revoking a rule that is not there by its permissions is not an error: AWS lists it as unknown.
  const unknown: IpPermission[] = [];
  const revoked: FakeSgRule[] = [];
  for (const s of ruleSpecs(input)) {
    const rule = ingress.find((r) => r.deletedAt === null && sameRule(r, s));
    if (rule) {
      rule.deletedAt = ctx.now;
      revoked.push(rule);
    } else {
      unknown.push({ IpProtocol: s.ipProtocol, FromPort: s.fromPort, ToPort: s.toPort, IpRanges: [{ CidrIp: s.cidrIpv4 }] });
    }
  }
  return {
    Return: true,
    ...(unknown.length ? { UnknownIpPermissions: unknown } : {}),
    RevokedSecurityGroupRules: revoked.map((r) => ({ SecurityGroupRuleId: r.id, GroupId: r.groupId, IsEgress: false, IpProtocol: r.ipProtocol, FromPort: r.fromPort, ToPort: r.toPort, CidrIpv4: r.cidrIpv4 })),
  };
}

export function describeSecurityGroupRules(ctx: Ctx, input: DescribeSecurityGroupRulesRequest): DescribeSecurityGroupRulesResult {
  validateFilters(input.Filters, RULE_FILTERS);
  let rules = [...ctx.region.sgRules.values()].filter((r) => r.deletedAt === null);
  if (input.SecurityGroupRuleIds?.length) {
    const missing = input.SecurityGroupRuleIds.filter((id) => !rules.some((r) => r.id === id));
    if (missing.length > 0) throw ec2Error('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${missing.join(', ')}' does not exist`);
    rules = rules.filter((r) => input.SecurityGroupRuleIds?.includes(r.id));
  }
  const matched = rules.filter((r) => matchesFilters(input.Filters, { 'group-id': r.groupId, 'security-group-rule-id': r.id }, r.tags));
  const page = paginate(matched, (r) => r.id, input.MaxResults, input.NextToken, { op: 'DescribeSecurityGroupRules', service: 'ec2', min: 5, max: 1000, defaultSize: 1000 });
  return { SecurityGroupRules: page.items.map((r) => renderRule(ctx, r)), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
}

export function describeSecurityGroups(ctx: Ctx, input: DescribeSecurityGroupsRequest): DescribeSecurityGroupsResult {
  validateFilters(input.Filters, GROUP_FILTERS);
  let groups = [...ctx.region.securityGroups.values()].filter((g) => g.deletedAt === null);
  if (input.GroupIds?.length) {
    const missing = input.GroupIds.filter((id) => !groups.some((g) => g.id === id));
    if (missing.length > 0) throw ec2Error('InvalidGroup.NotFound', `The security group '${missing.join(', ')}' does not exist`);
    groups = groups.filter((g) => input.GroupIds?.includes(g.id));
  }
  const matched = groups.filter((g) => matchesFilters(input.Filters, { 'group-id': g.id, 'group-name': g.name, 'vpc-id': g.vpcId }, g.tags));
  const page = paginate(matched, (g) => g.id, input.MaxResults, input.NextToken, { op: 'DescribeSecurityGroups', service: 'ec2', min: 5, max: 1000 });
  return {
    SecurityGroups: page.items.map((g) => ({
      GroupId: g.id,
      GroupName: g.name,
      VpcId: g.vpcId,
      OwnerId: ctx.cloud.accountId,
      Description: g.name,
      IpPermissions: rulesOf(ctx.region, g.id, false).map(permission),
      IpPermissionsEgress: rulesOf(ctx.region, g.id, true).map(permission),
      Tags: tagList(g.tags),
    })),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}

function permission(r: FakeSgRule): IpPermission {
  return {
    IpProtocol: r.ipProtocol,
    ...(r.ipProtocol === '-1' ? {} : { FromPort: r.fromPort, ToPort: r.toPort }),
    IpRanges: [{ CidrIp: r.cidrIpv4, ...(r.description !== undefined ? { Description: r.description } : {}) }],
  };
}
