// The shipped IAM policy, evaluated by a real policy evaluator (@cloud-copilot/iam-simulate): what
// stagebot does is allowed, and a table of what it must never be able to do is denied. The emulator suite
// (test/aws-emulator) checks every call the code really makes against the policy of its own config.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { iamPolicy, type IamPolicy } from '../../src/aws/iam-policy.ts';
import { ASSET_KIND_DESCRIPTORS } from '../../src/aws/kinds/index.ts';
import { parseConfig } from '../../src/config/index.ts';
import { EXAMPLE, REPO, stagebot, tempDir } from '../bot/cli/support.ts';
import { decide, type AuthCheck, type Decision } from '../support/iam.ts';

const ACCOUNT = '123456789012';
const SHIPPED = join(REPO, 'deploy', 'iam-policy.json');
const shipped = JSON.parse(readFileSync(SHIPPED, 'utf8')) as IamPolicy;
const example = parseConfig(readFileSync(EXAMPLE, 'utf8'), {});
const stg1 = example.environments.stg1!;
const stg3 = example.environments.stg3!;

const OURS = {
  'stagebot:managed-by': 'acme-staging',
  'asset-id': 'stg1-20261121-a1b2c3',
  'stagebot:env': 'stg1',
  'stagebot:requested-by': 'slack:U0ALICE',
  'stagebot:source': 'slack',
  'stagebot:expires-at': '2026-11-21T12:00:00Z',
  Name: 'stagebot stg1-20261121-a1b2c3',
};

const requestTags = (tags: Record<string, string>) => ({
  ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
  'aws:TagKeys': Object.keys(tags),
});
const resourceTags = (tags: Record<string, string>) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
const arn = (region: string, type: string, id: string) => (type === 'image' || type === 'snapshot' ? `arn:aws:ec2:${region}::${type}/${id}` : `arn:aws:ec2:${region}:${ACCOUNT}:${type}/${id}`);

function call(what: string, action: string, resource: string, context: AuthCheck['context'] = {}, region = 'us-east-1'): AuthCheck {
  return { what, action, resource, context: { 'aws:RequestedRegion': region, ...context } };
}

const ALLOWED: AuthCheck[] = [
  call('the account check', 'sts:GetCallerIdentity', '*'),
  call('launch --dry-run looks at the security group', 'ec2:DescribeSecurityGroups', '*', {}, 'eu-west-1'),
  call('a launch, its instance', 'ec2:RunInstances', arn('us-east-1', 'instance', '*'), { ...requestTags(OURS), 'ec2:InstanceType': 't3.2xlarge' }),
  call('a launch, its volume', 'ec2:RunInstances', arn('us-east-1', 'volume', '*'), requestTags(OURS)),
  call('a launch, from the environment AMI', 'ec2:RunInstances', arn('us-east-1', 'image', stg1.ami)),
  call('a launch, in the environment subnet', 'ec2:RunInstances', arn('us-east-1', 'subnet', stg1.subnets[1]!)),
  call('a launch, with the run key pair', 'ec2:RunInstances', arn('us-east-1', 'key-pair', 'stagebot-stg1-20261121-a1b2c3')),
  call('a launch, tagging at creation', 'ec2:CreateTags', arn('us-east-1', 'instance', '*'), { 'ec2:CreateAction': 'RunInstances', ...requestTags(OURS) }),
  call('open-ssh on the environment group', 'ec2:AuthorizeSecurityGroupIngress', arn('us-east-1', 'security-group', stg1.securityGroup)),
  call('open-ssh, the tagged rule', 'ec2:AuthorizeSecurityGroupIngress', arn('us-east-1', 'security-group-rule', '*'), requestTags(OURS)),
  call('register in the environment target group', 'elasticloadbalancing:RegisterTargets', stg1.targetGroupArn),
  call('teardown terminates our instance', 'ec2:TerminateInstances', arn('us-east-1', 'instance', 'i-0abc'), resourceTags(OURS)),
  call('teardown revokes on the environment group', 'ec2:RevokeSecurityGroupIngress', arn('us-east-1', 'security-group', stg1.securityGroup)),
  call('the sweeper marks our volume', 'ec2:CreateTags', arn('eu-west-1', 'volume', 'vol-0abc'), { ...resourceTags(OURS), ...requestTags({ 'stagebot:reap-after': '2026-11-22T00:00:00Z' }) }, 'eu-west-1'),
  call('the sweeper unmarks it', 'ec2:DeleteTags', arn('eu-west-1', 'volume', 'vol-0abc'), { ...resourceTags(OURS), 'aws:TagKeys': ['stagebot:reap-after'] }, 'eu-west-1'),
  call('the sweeper deregisters our old AMI', 'ec2:DeregisterImage', arn('eu-west-1', 'image', 'ami-0old'), resourceTags(OURS), 'eu-west-1'),
];

const UNTAGGED = {};
const OTHER_INSTALLATION = { ...OURS, 'stagebot:managed-by': 'other-staging' };

const FORBIDDEN: AuthCheck[] = [
  call('terminating an untagged instance', 'ec2:TerminateInstances', arn('us-east-1', 'instance', 'i-0abc'), resourceTags(UNTAGGED)),
  call("terminating another installation's instance", 'ec2:TerminateInstances', arn('us-east-1', 'instance', 'i-0abc'), resourceTags(OTHER_INSTALLATION)),
  call("deleting another installation's volume", 'ec2:DeleteVolume', arn('us-east-1', 'volume', 'vol-0abc'), resourceTags(OTHER_INSTALLATION)),
  call('deregistering a configured AMI (untagged)', 'ec2:DeregisterImage', arn('eu-west-1', 'image', stg3.ami), resourceTags(UNTAGGED), 'eu-west-1'),
  call('deregistering a configured AMI even when a bake of ours tagged it', 'ec2:DeregisterImage', arn('eu-west-1', 'image', stg3.ami), resourceTags(OURS), 'eu-west-1'),
  call('deleting an untagged snapshot', 'ec2:DeleteSnapshot', arn('us-east-1', 'snapshot', 'snap-0abc'), resourceTags(UNTAGGED)),
  call("deleting the environments' key pair", 'ec2:DeleteKeyPair', arn('eu-west-1', 'key-pair', stg3.keyPair), resourceTags(UNTAGGED), 'eu-west-1'),
  call('authorizing ingress on a security group not in the config', 'ec2:AuthorizeSecurityGroupIngress', arn('us-east-1', 'security-group', 'sg-0ffffffffffffffff')),
  call('revoking on a security group not in the config', 'ec2:RevokeSecurityGroupIngress', arn('us-east-1', 'security-group', 'sg-0ffffffffffffffff')),
  call('creating an instance without the tags', 'ec2:RunInstances', arn('us-east-1', 'instance', '*'), { 'ec2:InstanceType': 't3.2xlarge' }),
  call("creating an instance with another installation's tag", 'ec2:RunInstances', arn('us-east-1', 'instance', '*'), { ...requestTags(OTHER_INSTALLATION), 'ec2:InstanceType': 't3.2xlarge' }),
  call('creating an instance without a run id', 'ec2:RunInstances', arn('us-east-1', 'instance', '*'), { ...requestTags({ 'stagebot:managed-by': 'acme-staging' }), 'ec2:InstanceType': 't3.2xlarge' }),
  call('creating an instance of a type no environment uses', 'ec2:RunInstances', arn('us-east-1', 'instance', '*'), { ...requestTags(OURS), 'ec2:InstanceType': 'p4d.24xlarge' }),
  call('creating a volume without the tags', 'ec2:RunInstances', arn('us-east-1', 'volume', '*')),
  call('launching from an AMI not in the config', 'ec2:RunInstances', arn('us-east-1', 'image', 'ami-0ffffffffffffffff')),
  call('launching into a subnet not in the config', 'ec2:RunInstances', arn('us-east-1', 'subnet', 'subnet-0ffffffffffffffff')),
  call('launching in a region not in the config', 'ec2:RunInstances', arn('ap-south-1', 'instance', '*'), { ...requestTags(OURS), 'ec2:InstanceType': 't3.2xlarge' }, 'ap-south-1'),
  call('creating a key pair without the tags', 'ec2:CreateKeyPair', arn('us-east-1', 'key-pair', 'stagebot-x')),
  call('tagging an untagged instance as ours (after creation)', 'ec2:CreateTags', arn('us-east-1', 'instance', 'i-0abc'), { ...resourceTags(UNTAGGED), ...requestTags({ 'stagebot:managed-by': 'acme-staging' }) }),
  call('retagging our instance with another run id', 'ec2:CreateTags', arn('us-east-1', 'instance', 'i-0abc'), { ...resourceTags(OURS), ...requestTags({ 'asset-id': 'stg1-20261121-ffffff' }) }),
  call('removing the protect tag from our instance', 'ec2:DeleteTags', arn('us-east-1', 'instance', 'i-0abc'), { ...resourceTags(OURS), 'aws:TagKeys': ['stagebot:keep'] }),
  call('registering in a target group not in the config', 'elasticloadbalancing:RegisterTargets', `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/prod-web/0123456789abcdef`),
  call('deregistering from a target group not in the config', 'elasticloadbalancing:DeregisterTargets', `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/prod-web/0123456789abcdef`),
  call('listing instances in a region not in the config', 'ec2:DescribeInstances', '*', {}, 'ap-south-1'),
  call("reading the account's own SSM parameter (a secret)", 'ssm:GetParameter', `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/prod/db-password`, {}, 'eu-west-1'),
  call('writing a parameter', 'ssm:PutParameter', `arn:aws:ssm:eu-west-1:${ACCOUNT}:parameter/aws/service/canonical/x`, {}, 'eu-west-1'),
];

function withS3Artifacts() {
  const config = structuredClone(example);
  config.artifacts = { ...config.artifacts, storage: 's3', s3: { bucket: 'acme-stagebot-artifacts', region: 'eu-west-1', prefix: 'stagebot/', forcePathStyle: false } };
  return config;
}

async function decisions(policy: IamPolicy, checks: AuthCheck[]): Promise<Record<string, Decision>> {
  const out: Record<string, Decision> = {};
  for (const c of checks) out[c.what] = await decide(policy, c);
  return out;
}

describe('the shipped IAM policy (deploy/iam-policy.json)', () => {
  it('is exactly what `stagebot iam-policy` prints for stagebot.example.yml', async () => {
    const cwd = tempDir('stagebot-iam-');
    try {
      const res = await stagebot(['iam-policy', '--config', EXAMPLE], { cwd: cwd.dir });
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      expect(res.stdout).toBe(readFileSync(SHIPPED, 'utf8'));
    } finally {
      cwd.remove();
    }
  });

  it(`allows what stagebot does (${ALLOWED.length} calls)`, async () => {
    expect(await decisions(shipped, ALLOWED)).toEqual(Object.fromEntries(ALLOWED.map((c) => [c.what, 'Allowed'])));
  });

  it(`denies every forbidden call (${FORBIDDEN.length} calls)`, async () => {
    const got = await decisions(shipped, FORBIDDEN);
    expect(Object.entries(got).filter(([, d]) => d === 'Allowed')).toEqual([]);
    expect(got['deregistering a configured AMI even when a bake of ours tagged it']).toBe('ExplicitlyDenied');
  });
});

describe('iamPolicy(config)', () => {
  it('names every allowed account in the ARNs, and the key pairs of ephemeral and fixed environments', () => {
    const config = structuredClone(example);
    config.aws.accountAllowlist = ['111111111111', '222222222222'];
    const text = JSON.stringify(iamPolicy(config));
    for (const account of config.aws.accountAllowlist) {
      expect(text).toContain(`arn:aws:ec2:us-east-1:${account}:instance/*`);
      expect(text).toContain(`arn:aws:ec2:us-east-1:${account}:key-pair/stagebot-*`);
      expect(text).toContain(`arn:aws:ec2:eu-west-1:${account}:key-pair/staging-eu`);
    }
    // Only the configured target groups' own ARNs name an account of their own.
    expect(text.replace(/arn:aws:elasticloadbalancing:[^"]+/g, '')).not.toContain(ACCOUNT);
  });

  it("allows every action of every asset kind's descriptor (artifacts in S3)", () => {
    const actions = new Set(iamPolicy(withS3Artifacts()).Statement.flatMap((s) => (s.Effect === 'Allow' ? [s.Action].flat() : [])));
    for (const d of ASSET_KIND_DESCRIPTORS) {
      for (const action of [...d.iam.read, ...d.iam.create, ...d.iam.remove]) expect(actions.has(action), `${d.kind}: ${action}`).toBe(true);
    }
  });

  it('lets artifacts be written only tagged as ours and only under our prefix, and read, listed and deleted only there', async () => {
    const policy = iamPolicy(withS3Artifacts());
    const objects = 'arn:aws:s3:::acme-stagebot-artifacts/stagebot/acme-staging';
    const key = `${objects}/stg1-20261121-a1b2c3/chrome/failures/1/trace.zip`;
    const tagged = { 's3:RequestObjectTag/stagebot:managed-by': 'acme-staging', 's3:RequestObjectTag/asset-id': 'stg1-20261121-a1b2c3' };
    const allowed = [
      call('the keeper writes a tagged object', 's3:PutObject', key, tagged, 'eu-west-1'),
      call('its tags go in the same request', 's3:PutObjectTagging', key, tagged, 'eu-west-1'),
      call('the sweeper lists our prefix', 's3:ListBucket', 'arn:aws:s3:::acme-stagebot-artifacts', { 's3:prefix': 'stagebot/acme-staging/' }, 'eu-west-1'),
      call('the sweeper reads the tags of a run', 's3:GetObjectTagging', key, {}, 'eu-west-1'),
      call('a signed link reads the object', 's3:GetObject', key, {}, 'eu-west-1'),
      call('the sweeper reaps it', 's3:DeleteObject', key, {}, 'eu-west-1'),
    ];
    expect(await decisions(policy, allowed)).toEqual(Object.fromEntries(allowed.map((c) => [c.what, 'Allowed'])));
    const forbidden = [
      call('writing an untagged object', 's3:PutObject', key, {}, 'eu-west-1'),
      call("writing with another installation's tag", 's3:PutObject', key, { 's3:RequestObjectTag/stagebot:managed-by': 'other-staging' }, 'eu-west-1'),
      call("deleting another installation's artifacts", 's3:DeleteObject', 'arn:aws:s3:::acme-stagebot-artifacts/stagebot/other-staging/x/report.json', {}, 'eu-west-1'),
      call('listing the whole bucket', 's3:ListBucket', 'arn:aws:s3:::acme-stagebot-artifacts', { 's3:prefix': '' }, 'eu-west-1'),
      call('reading another bucket', 's3:GetObject', 'arn:aws:s3:::prod-data/secrets.json', {}, 'eu-west-1'),
    ];
    expect(Object.entries(await decisions(policy, forbidden)).filter(([, d]) => d === 'Allowed')).toEqual([]);
    // With artifacts in a local directory, no S3 permission at all.
    expect(JSON.stringify(iamPolicy(example))).not.toContain('s3:');
  });

  it('scans an extra region for reading only what it lists', async () => {
    const config = structuredClone(example);
    config.aws.extraRegions = ['ap-south-1'];
    const policy = iamPolicy(config);
    expect(await decide(policy, call('listing volumes in the extra region', 'ec2:DescribeVolumes', '*', {}, 'ap-south-1'))).toBe('Allowed');
    expect(await decide(policy, call('reaping our volume there', 'ec2:DeleteVolume', arn('ap-south-1', 'volume', 'vol-0abc'), resourceTags(OURS), 'ap-south-1'))).toBe('Allowed');
    expect(await decide(policy, call('launching there', 'ec2:RunInstances', arn('ap-south-1', 'image', stg1.ami), {}, 'ap-south-1'))).toBe('ImplicitlyDenied');
  });

  it("reads AWS's public parameters (a base's ssm) and only them, and only when a base names one", async () => {
    // Public parameters' ARNs name no account (arn:aws:ssm:REGION::parameter/aws/service/...), which the
    // evaluator's ARN format cannot express: the statement is checked as written, the denials evaluated.
    expect(iamPolicy(example).Statement.filter((s) => JSON.stringify(s.Action).includes('ssm:'))).toEqual([
      { Sid: 'ReadOnlyPublicBaseParameters', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: 'arn:aws:ssm:*::parameter/aws/service/*' },
    ]);
    const config = structuredClone(example);
    for (const image of Object.values(config.images)) image.base = { ami: 'ami-0a1b2c3d4e5f60001' };
    expect(JSON.stringify(iamPolicy(config))).not.toContain('ssm:');
  });
});
