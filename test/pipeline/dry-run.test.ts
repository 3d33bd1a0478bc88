import { afterEach, describe, expect, test } from 'vitest';
import { DeleteKeyPairCommand, DeregisterImageCommand } from '@aws-sdk/client-ec2';
import { checkAccount } from '../../src/aws/account.ts';
import { dryRunLaunch, type DryRunDeps, type DryRunReport } from '../../src/pipeline/dry-run.ts';
import { createTestRun, type TestRun, type TestRunOptions } from './support/run-context.ts';

let t: TestRun;
afterEach(async () => t?.close());

const MUTATING = new Set(['RunInstances', 'AuthorizeSecurityGroupIngress', 'CreateKeyPair', 'CreateTags', 'RegisterTargets', 'DeregisterTargets', 'TerminateInstances', 'DeleteKeyPair']);

function deps(run: TestRun, allowlist = run.config.aws.accountAllowlist): DryRunDeps {
  return {
    config: run.config,
    aws: run.aws,
    env: run.env,
    runId: run.runId,
    requester: 'cli:tester',
    source: 'cli',
    checkAccount: (region) => checkAccount(run.aws.sts(region), allowlist),
    now: run.clock.now(),
  };
}

async function dryRun(opts: TestRunOptions = {}, prepare?: (run: TestRun) => Promise<void>): Promise<DryRunReport> {
  t = await createTestRun(opts);
  await prepare?.(t);
  t.cloud.resetCalls();
  return dryRunLaunch(deps(t));
}

function check(report: DryRunReport, name: string) {
  const found = report.checks.find((c) => c.check === name);
  if (!found) throw new Error(`no check ${name} in ${report.checks.map((c) => c.check).join(', ')}`);
  return found;
}

/** Nothing was created, and every mutating call that was made was a dry run. */
function expectNothingCreated(run: TestRun): void {
  expect(run.cloud.creations).toEqual([]);
  const real = run.cloud.calls.filter((c) => MUTATING.has(c.command) && c.input.DryRun !== true);
  expect(real.map((c) => c.command)).toEqual([]);
}

describe('launch --dry-run', () => {
  test('all checks pass against a ready environment, and nothing is created', async () => {
    const report = await dryRun();
    expect(report.checks.map((c) => c.check)).toEqual([
      'account',
      'ami',
      'security-group',
      ...t.env.subnets.map((s) => `run-instances ${s}`),
      'open-ssh',
      'key-pair',
      'target-group',
    ]);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(check(report, `run-instances ${t.env.subnets[0]}`).detail).toBe('ec2:RunInstances would be allowed');
    expect(check(report, 'ami').detail).toBe(`${t.env.ami} is available (root device /dev/sda1, 30 GB root snapshot)`);
    // The dry runs asked for what the launch will ask for, tags included.
    const run = t.cloud.calls.find((c) => c.command === 'RunInstances');
    expect(run?.input).toMatchObject({ DryRun: true, ImageId: t.env.ami, SubnetId: t.env.subnets[0], SecurityGroupIds: [t.env.securityGroup] });
    expect(JSON.stringify(run?.input.TagSpecifications)).toContain(t.runId);
    expect(t.cloud.callCount('RunInstances')).toBe(t.env.subnets.length);
    expectNothingCreated(t);
  });

  test('a denied permission fails its check, naming the permission, and the others still run', async () => {
    const report = await dryRun({}, async (run) => run.cloud.denyPermission('RunInstances'));
    expect(report.ok).toBe(false);
    for (const subnet of t.env.subnets) {
      expect(check(report, `run-instances ${subnet}`)).toEqual({
        check: `run-instances ${subnet}`,
        ok: false,
        detail: 'missing permission ec2:RunInstances (UnauthorizedOperation)',
      });
    }
    expect(check(report, 'open-ssh').ok).toBe(true);
    expect(check(report, 'key-pair').ok).toBe(true);
    expect(check(report, 'target-group').ok).toBe(true);
    expectNothingCreated(t);
  });

  test('a denied describe permission is named too', async () => {
    const report = await dryRun({}, async (run) => run.cloud.denyPermission('DescribeTargetGroups'));
    expect(check(report, 'target-group')).toMatchObject({ ok: false, detail: 'missing permission elasticloadbalancing:DescribeTargetGroups (AccessDenied)' });
    expect(report.ok).toBe(false);
  });

  test('credentials of an account that is not allowed: that check only, no EC2 call at all', async () => {
    t = await createTestRun();
    t.cloud.resetCalls();
    const report = await dryRunLaunch(deps(t, ['999999999999']));
    expect(report).toEqual({
      ok: false,
      checks: [{ check: 'account', ok: false, detail: `AWS account ${t.cloud.accountId} is not in aws.accountAllowlist (allowed: 999999999999)` }],
    });
    expect(t.cloud.calls.map((c) => c.command)).toEqual(['GetCallerIdentity']);
  });

  test('a missing AMI fails the AMI check and the launch checks that need it', async () => {
    const report = await dryRun({}, async (run) => {
      await run.aws.ec2(run.env.region).send(new DeregisterImageCommand({ ImageId: run.env.ami }));
    });
    expect(check(report, 'ami')).toMatchObject({ ok: false, detail: `AMI ${t.env.ami} of stg1 is not available in us-east-1 (InvalidAMIID.NotFound)` });
    expect(check(report, `run-instances ${t.env.subnets[0]}`)).toMatchObject({ ok: false, detail: 'not checked: the launch needs an available AMI' });
    expect(t.cloud.callCount('RunInstances')).toBe(0);
    expectNothingCreated(t);
  });

  test('a subnet that does not exist fails its own launch check (AWS validates a dry run), the others pass', async () => {
    const missing = 'subnet-0123456789abcdef0';
    const report = await dryRun({}, async (run) => {
      run.env.subnets = [...run.env.subnets, missing];
    });
    expect(check(report, `run-instances ${t.env.subnets[0]}`)).toMatchObject({ ok: true });
    expect(check(report, `run-instances ${missing}`)).toMatchObject({ ok: false, detail: expect.stringContaining('InvalidSubnetID.NotFound') });
    expect(report.ok).toBe(false);
    expectNothingCreated(t);
  });

  test('a named key pair that does not exist is reported; no key pair is created for it', async () => {
    const report = await dryRun({ envName: 'stg3' }, async (run) => {
      await run.aws.ec2(run.env.region).send(new DeleteKeyPairCommand({ KeyName: run.env.keyPair }));
    });
    expect(check(report, 'key-pair')).toMatchObject({ ok: false });
    expect(check(report, 'key-pair').detail).toContain('InvalidKeyPair.NotFound');
    expect(t.cloud.callCount('CreateKeyPair')).toBe(0);
    expect(report.ok).toBe(false);
    expectNothingCreated(t);
  });
});
