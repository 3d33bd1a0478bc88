// The security-group rule a run opens for SSH (open-ssh), tagged at creation and always revoked.
import {
  DescribeSecurityGroupRulesCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  paginateDescribeSecurityGroupRules,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { isNotFound } from '../errors.ts';
import { isRunResource, runTagFilters } from '../run-ownership.ts';
import { readTags } from '../tags.ts';
import { PAGE_MAX, idFilter, listRules, pagesFor } from './describe.ts';
import { NOT_THIS_RUNS, itemsOf, lookUpRecorded, type TeardownFindings, type TeardownScope } from './teardown-types.ts';
import type { AssetKindDescriptor, FoundAsset } from './types.ts';

export function ruleAsset(region: string, r: SecurityGroupRule): FoundAsset {
  const ports = r.IpProtocol === '-1' ? 'all traffic' : r.FromPort === r.ToPort ? `port ${r.FromPort}` : `ports ${r.FromPort}-${r.ToPort}`;
  return {
    kind: 'security-group-rule',
    id: r.SecurityGroupRuleId ?? '',
    region,
    tags: readTags(r.Tags),
    // AWS does not say when a rule was made.
    createdAt: null,
    priced: [{ kind: 'free' }],
    detail: `${ports} from ${r.CidrIpv4 ?? r.CidrIpv6 ?? 'somewhere'} on ${r.GroupId ?? 'a security group'}`,
    extra: { groupId: r.GroupId ?? '', isEgress: r.IsEgress ?? false },
  };
}

/** What revoking a rule needs. */
interface FoundRule {
  groupId: string;
  egress: boolean;
}

async function searchRules(s: TeardownScope, f: TeardownFindings): Promise<void> {
  const rules = itemsOf<FoundRule>(f, 'security-group-rule');
  await s.call(async () => {
    const pages = paginateDescribeSecurityGroupRules({ client: s.ec2, pageSize: 100 }, { Filters: runTagFilters(s.who) }, { abortSignal: s.signal });
    for await (const page of pages) {
      for (const r of page.SecurityGroupRules ?? []) {
        if (r.SecurityGroupRuleId && r.GroupId && isRunResource(r.Tags, s.who)) rules.set(r.SecurityGroupRuleId, { groupId: r.GroupId, egress: r.IsEgress === true });
      }
    }
  });
}

async function checkRule(s: TeardownScope, id: string, f: TeardownFindings): Promise<void> {
  let rule;
  try {
    const out = await s.call(() => s.ec2.send(new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: [id] }), { abortSignal: s.signal }));
    rule = out.SecurityGroupRules?.find((r) => r.SecurityGroupRuleId === id);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!rule?.GroupId) f.gone.push({ kind: 'security-group-rule', id });
  else if (!isRunResource(rule.Tags, s.who)) f.problems.push(`security-group-rule ${id}: ${NOT_THIS_RUNS}`);
  else itemsOf<FoundRule>(f, 'security-group-rule').set(id, { groupId: rule.GroupId, egress: rule.IsEgress === true });
}

export const sgRule: AssetKindDescriptor<'security-group-rule'> = {
  kind: 'security-group-rule',
  singular: 'security-group rule',
  plural: 'SG rules',
  ec2ResourceType: 'security-group-rule',
  createdBy: 'AuthorizeSecurityGroupIngress',
  marks: 'tag',
  retagOnKeep: true,
  rule: 'run',
  iam: {
    read: ['ec2:DescribeSecurityGroupRules'],
    create: ['ec2:AuthorizeSecurityGroupIngress'],
    remove: ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'],
  },
  leftBehind: () => 'security-group rule still open',
  swept: {
    taggingType: null,
    list: (scope, owned) => listRules(scope, owned),
    minimumCalls: (n) => pagesFor(n, PAGE_MAX.rules),
    assets: (region, items) => (items as SecurityGroupRule[]).map((r) => ruleAsset(region, r)),
  },
  reap: {
    async recheck(scope, due) {
      return (await listRules(scope, [idFilter('security-group-rule-id', due.map((d) => d.id))])).items.map((r) => ruleAsset(scope.region, r));
    },
    recheckCalls: (batches) => batches,
    async remove(scope, a) {
      const input = { GroupId: a.extra.groupId ?? '', SecurityGroupRuleIds: [a.id] };
      if (a.extra.isEgress) await scope.calls.send((o) => scope.ec2.send(new RevokeSecurityGroupEgressCommand(input), o));
      else await scope.calls.send((o) => scope.ec2.send(new RevokeSecurityGroupIngressCommand(input), o));
      return [];
    },
  },
  teardown: {
    search: { order: 2, run: searchRules },
    recorded: { order: 2, run: lookUpRecorded('security-group-rule', checkRule) },
    // After the traffic: the door.
    start: {
      order: 2,
      async run(s, f, tally) {
        for (const [id, rule] of itemsOf<FoundRule>(f, 'security-group-rule')) {
          await tally.each('security-group-rule', id, async () => {
            const input = { GroupId: rule.groupId, SecurityGroupRuleIds: [id] };
            try {
              await s.call(() => (rule.egress ? s.ec2.send(new RevokeSecurityGroupEgressCommand(input)) : s.ec2.send(new RevokeSecurityGroupIngressCommand(input))));
              await tally.done('security-group-rule', id, 'deleted');
            } catch (err) {
              if (!isNotFound(err)) throw err;
              await tally.done('security-group-rule', id, 'gone');
            }
          });
        }
      },
    },
  },
};
