import { afterEach, describe, expect, test } from 'vitest';
import { TAG } from '../../../src/aws/tags.ts';
import type { Config } from '../../../src/config/index.ts';
import { openSshStep } from '../../../src/pipeline/steps/open-ssh.ts';
import type { OpenSshOutputs } from '../../../src/pipeline/step-outputs.ts';
import { createTestRun, type TestRun } from '../support/run-context.ts';
import { expectedRunTags } from '../support/run-tags.ts';

let t: TestRun;
afterEach(async () => t?.close());

const CIDRS = ['203.0.113.10/32', '198.51.100.7/32'];

function allowFrom(cidrs: string[]) {
  return {
    configure: (config: Config) => {
      const env = config.environments.stg1!;
      env.ssh = { ...env.ssh, allowFrom: cidrs };
    },
  };
}

function ingressRules(run: TestRun) {
  return [...run.cloud.region(run.env.region).sgRules.values()].filter((r) => r.groupId === run.env.securityGroup && !r.isEgress && r.deletedAt === null);
}

async function openSsh(run: TestRun): Promise<OpenSshOutputs> {
  return (await run.runStep(openSshStep)).outputs as OpenSshOutputs;
}

describe('open-ssh', () => {
  test('opens the SSH port to each CIDR with one rule each, tagged at creation, and records them', async () => {
    t = await createTestRun(allowFrom(CIDRS));
    const out = await openSsh(t);

    const rules = ingressRules(t);
    expect(rules.map((r) => r.cidrIpv4).sort()).toEqual([...CIDRS].sort());
    for (const r of rules) {
      expect(r).toMatchObject({ ipProtocol: 'tcp', fromPort: 22, toPort: 22, description: `stagebot ${t.runId}` });
      expect(t.cloud.tagsAtCreation(r.id)).toEqual(expectedRunTags(t));
    }
    expect(out.ruleIds.sort()).toEqual(rules.map((r) => r.id).sort());
    const recorded = (await t.store.getAssets(t.runId)).filter((a) => a.kind === 'security-group-rule').map((a) => a.id);
    expect(recorded.sort()).toEqual(out.ruleIds.sort());
  });

  test('a resumed run adopts the rules it opened before instead of failing on the duplicate', async () => {
    t = await createTestRun();
    const first = await openSsh(t);
    const second = (await openSshStep.run(t.context())).outputs as OpenSshOutputs;

    expect(second.ruleIds).toEqual(first.ruleIds);
    expect(second.alreadyOpen).toEqual([]);
    expect(ingressRules(t)).toHaveLength(1);
    expect(t.cloud.creations.filter((c) => c.resourceType === 'security-group-rule')).toHaveLength(1);
    expect((await t.store.getAssets(t.runId)).map((a) => a.id)).toEqual(first.ruleIds);
  });

  test('a CIDR someone else already opened is left alone and not recorded; the others are opened', async () => {
    t = await createTestRun(allowFrom(CIDRS));
    const permanent = t.cloud.addSecurityGroupRule({ region: t.env.region, groupId: t.env.securityGroup, cidr: CIDRS[0]!, description: 'office' });
    const otherInstall = t.cloud.addSecurityGroupRule({
      region: t.env.region,
      groupId: t.env.securityGroup,
      cidr: CIDRS[1]!,
      tags: { [TAG.assetId]: t.runId, [TAG.managedBy]: 'another-installation' },
    });
    const out = await openSsh(t);

    expect(out.ruleIds).toEqual([]);
    expect(out.alreadyOpen).toEqual(CIDRS);
    expect(await t.store.getAssets(t.runId)).toEqual([]);
    expect(ingressRules(t).map((r) => r.id).sort()).toEqual([permanent, otherInstall].sort());
    expect(t.logs.some((l) => l.line.includes(`already open to ${CIDRS[0]} by a rule that is not this run's`))).toBe(true);
  });

  test('one CIDR already open by someone else, the other new: only the new rule is the run’s', async () => {
    t = await createTestRun(allowFrom(CIDRS));
    const permanent = t.cloud.addSecurityGroupRule({ region: t.env.region, groupId: t.env.securityGroup, cidr: CIDRS[0]! });
    const out = await openSsh(t);

    expect(out.alreadyOpen).toEqual([CIDRS[0]]);
    expect(out.ruleIds).toHaveLength(1);
    const mine = ingressRules(t).find((r) => r.id === out.ruleIds[0]);
    expect(mine?.cidrIpv4).toBe(CIDRS[1]);
    expect((await t.store.getAssets(t.runId)).map((a) => a.id)).toEqual(out.ruleIds);
    expect(t.cloud.tagsOf(permanent)).toEqual({});
  });

  test('nothing to open: skipped without calling AWS', async () => {
    t = await createTestRun(allowFrom([]));
    const result = await t.runStep(openSshStep);
    expect(result.skipped).toContain('ssh.allowFrom of stg1 is empty');
    expect(t.eventsOf('step.skipped')).toHaveLength(1);
    expect(t.cloud.calls).toEqual([]);
  });
});
