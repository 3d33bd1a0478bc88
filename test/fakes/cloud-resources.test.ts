// AMIs, snapshots, security-group rules, key pairs and tags: what the sweeper lists and deletes.
import { createPrivateKey } from 'node:crypto';
import { beforeEach, describe, expect, test } from 'vitest';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateKeyPairCommand,
  CreateTagsCommand,
  DeleteKeyPairCommand,
  DeleteSnapshotCommand,
  DeleteTagsCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSnapshotsCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import ssh2 from 'ssh2';
import type { AwsClients } from '../../src/aws/clients.ts';
import { isNotFound } from '../../src/aws/errors.ts';
import { reapAfterTag, tagFilter, tagSpecifications } from '../../src/aws/tags.ts';
import { FakeCloud, createFakeAwsClients } from './cloud/index.ts';

const region = 'eu-west-1';
let cloud: FakeCloud;
let aws: AwsClients;
beforeEach(() => {
  cloud = new FakeCloud();
  aws = createFakeAwsClients(cloud);
});

describe('images and snapshots', () => {
  test('Owners self lists only ours; without Owners public images of others show too', async () => {
    const mine = cloud.addImage({ region, name: 'stg4-base', tags: { 'stagebot:env': 'stg4' }, createdAt: new Date('2026-01-01T00:00:00Z') });
    cloud.addImage({ region, name: 'ubuntu-24.04', ownerId: '099720109477' });
    const own = await aws.ec2(region).send(new DescribeImagesCommand({ Owners: ['self'] }));
    expect(own.Images?.map((i) => i.ImageId)).toEqual([mine.imageId]);
    expect(own.Images?.[0]).toMatchObject({ CreationDate: '2026-01-01T00:00:00.000Z', State: 'available', BlockDeviceMappings: [{ Ebs: { SnapshotId: mine.snapshotId, VolumeSize: 30 } }] });
    expect((await aws.ec2(region).send(new DescribeImagesCommand({}))).Images).toHaveLength(2);
    const byName = await aws.ec2(region).send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: 'name', Values: ['stg?-*'] }, tagFilter('stagebot:env', ['stg4'])] }));
    expect(byName.Images).toHaveLength(1);
  });

  test('a snapshot in use by a registered AMI cannot be deleted; after deregistering it can', async () => {
    const { imageId, snapshotId } = cloud.addImage({ region, name: 'old' });
    const del = () => aws.ec2(region).send(new DeleteSnapshotCommand({ SnapshotId: snapshotId }));
    await expect(del()).rejects.toMatchObject({ name: 'InvalidSnapshot.InUse', message: `The snapshot ${snapshotId} is currently in use by ${imageId}` });
    await aws.ec2(region).send(new DeregisterImageCommand({ ImageId: imageId }));
    await expect(aws.ec2(region).send(new DescribeImagesCommand({ ImageIds: [imageId] }))).rejects.toMatchObject({ name: 'InvalidAMIID.NotFound' });
    await del();
    const err = await del().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InvalidSnapshot.NotFound' });
    expect(isNotFound(err)).toBe(true);
    expect((await aws.ec2(region).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots).toEqual([]);
  });

  test('DeregisterImage can delete its snapshots too', async () => {
    const { imageId, snapshotId } = cloud.addImage({ region, name: 'old' });
    const out = await aws.ec2(region).send(new DeregisterImageCommand({ ImageId: imageId, DeleteAssociatedSnapshots: true }));
    expect(out.DeleteSnapshotResults).toEqual([{ SnapshotId: snapshotId, ReturnCode: 'success' }]);
    expect(cloud.find(snapshotId)?.resource.deletedAt).not.toBeNull();
  });
});

describe('security-group rules', () => {
  const sshRule = (groupId: string, cidr = '203.0.113.10/32') => ({
    GroupId: groupId,
    IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: cidr, Description: 'stagebot run r1' }] }],
    TagSpecifications: tagSpecifications(['security-group-rule'], [{ Key: 'asset-id', Value: 'r1' }]),
  });

  test('authorize (tagged at creation), describe by tag and group, revoke by id', async () => {
    const sg = cloud.addSecurityGroup({ region, groupId: 'sg-0c4c4c4c4c4c4c4c4' });
    const out = await aws.ec2(region).send(new AuthorizeSecurityGroupIngressCommand(sshRule(sg)));
    const rule = out.SecurityGroupRules?.[0];
    expect(rule).toMatchObject({ GroupId: sg, IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '203.0.113.10/32' });
    expect(rule?.SecurityGroupRuleId).toMatch(/^sgr-[0-9a-f]{17}$/);
    expect(cloud.tagsAtCreation(rule?.SecurityGroupRuleId ?? '')).toEqual({ 'asset-id': 'r1' });

    const byTag = await aws.ec2(region).send(new DescribeSecurityGroupRulesCommand({ Filters: [tagFilter('asset-id', ['r1'])] }));
    expect(byTag.SecurityGroupRules?.map((r) => r.SecurityGroupRuleId)).toEqual([rule?.SecurityGroupRuleId]);
    const byGroup = await aws.ec2(region).send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [sg] }] }));
    expect(byGroup.SecurityGroupRules?.map((r) => r.IsEgress).sort()).toEqual([false, true]);

    await aws.ec2(region).send(new RevokeSecurityGroupIngressCommand({ GroupId: sg, SecurityGroupRuleIds: [rule?.SecurityGroupRuleId ?? ''] }));
    const again = aws.ec2(region).send(new RevokeSecurityGroupIngressCommand({ GroupId: sg, SecurityGroupRuleIds: [rule?.SecurityGroupRuleId ?? ''] }));
    await expect(again).rejects.toMatchObject({ name: 'InvalidSecurityGroupRuleId.NotFound' });
    expect((await aws.ec2(region).send(new DescribeSecurityGroupRulesCommand({ Filters: [tagFilter('asset-id', ['r1'])] }))).SecurityGroupRules).toEqual([]);
  });

  test('a duplicate rule is refused; revoking an absent rule by permissions is not an error', async () => {
    const sg = cloud.addSecurityGroup({ region });
    await aws.ec2(region).send(new AuthorizeSecurityGroupIngressCommand(sshRule(sg)));
    await expect(aws.ec2(region).send(new AuthorizeSecurityGroupIngressCommand(sshRule(sg)))).rejects.toMatchObject({
      name: 'InvalidPermission.Duplicate',
      message: 'the specified rule "peer: 203.0.113.10/32, TCP, from port: 22, to port: 22, ALLOW" already exists',
    });
    const { GroupId, IpPermissions } = sshRule(sg, '198.51.100.7/32');
    const out = await aws.ec2(region).send(new RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions }));
    expect(out.Return).toBe(true);
    expect(out.UnknownIpPermissions?.[0]?.IpRanges?.[0]?.CidrIp).toBe('198.51.100.7/32');
  });

  test('paginates and refuses an unknown group or malformed CIDR', async () => {
    const sg = cloud.addSecurityGroup({ region });
    for (let i = 0; i < 12; i++) cloud.addSecurityGroupRule({ region, groupId: sg, cidr: `10.1.${i}.0/24` });
    const first = await aws.ec2(region).send(new DescribeSecurityGroupRulesCommand({ MaxResults: 10, Filters: [{ Name: 'group-id', Values: [sg] }] }));
    const second = await aws.ec2(region).send(new DescribeSecurityGroupRulesCommand({ MaxResults: 10, Filters: [{ Name: 'group-id', Values: [sg] }], NextToken: first.NextToken }));
    expect((first.SecurityGroupRules?.length ?? 0) + (second.SecurityGroupRules?.length ?? 0)).toBe(13);
    expect(second.NextToken).toBeUndefined();
    await expect(aws.ec2(region).send(new AuthorizeSecurityGroupIngressCommand(sshRule('sg-0000000000000000f')))).rejects.toMatchObject({ name: 'InvalidGroup.NotFound' });
    await expect(aws.ec2(region).send(new AuthorizeSecurityGroupIngressCommand(sshRule(sg, '203.0.113.300/32')))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('key pairs', () => {
  test('CreateKeyPair returns usable key material and tags the pair at creation', async () => {
    const out = await aws.ec2(region).send(
      new CreateKeyPairCommand({ KeyName: 'stagebot-r1', KeyType: 'ed25519', TagSpecifications: tagSpecifications(['key-pair'], [{ Key: 'asset-id', Value: 'r1' }]) }),
    );
    expect(out.KeyMaterial).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    const parsed = ssh2.utils.parseKey(out.KeyMaterial ?? '');
    expect(parsed).not.toBeInstanceOf(Error);
    expect(cloud.tagsAtCreation(out.KeyPairId ?? '')).toEqual({ 'asset-id': 'r1' });

    const rsa = await aws.ec2(region).send(new CreateKeyPairCommand({ KeyName: 'stagebot-r2' }));
    expect(rsa.KeyMaterial).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(createPrivateKey(rsa.KeyMaterial ?? '').asymmetricKeyType).toBe('rsa');
    expect(rsa.KeyFingerprint).toMatch(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
  });

  test('duplicate names are refused; describe by tag; delete by name or id, twice is fine', async () => {
    const create = (name: string) =>
      aws.ec2(region).send(new CreateKeyPairCommand({ KeyName: name, KeyType: 'ed25519', TagSpecifications: tagSpecifications(['key-pair'], [{ Key: 'asset-id', Value: name }]) }));
    const a = await create('a');
    await create('b');
    await expect(create('a')).rejects.toMatchObject({ name: 'InvalidKeyPair.Duplicate' });
    const tagged = await aws.ec2(region).send(new DescribeKeyPairsCommand({ Filters: [tagFilter('asset-id', ['a'])], IncludePublicKey: true }));
    expect(tagged.KeyPairs?.map((k) => k.KeyPairId)).toEqual([a.KeyPairId]);
    expect(tagged.KeyPairs?.[0]?.PublicKey).toMatch(/^ssh-ed25519 /);

    await aws.ec2(region).send(new DeleteKeyPairCommand({ KeyPairId: a.KeyPairId }));
    await aws.ec2(region).send(new DeleteKeyPairCommand({ KeyName: 'b' }));
    await aws.ec2(region).send(new DeleteKeyPairCommand({ KeyName: 'b' }));
    await expect(aws.ec2(region).send(new DescribeKeyPairsCommand({ KeyNames: ['a'] }))).rejects.toMatchObject({ name: 'InvalidKeyPair.NotFound' });
    // The name is free again.
    await create('a');
  });
});

describe('CreateTags / DeleteTags', () => {
  test('mark and unmark several resources at once', async () => {
    const vol = cloud.addVolume({ region, tags: { 'asset-id': 'r1' } });
    const inst = cloud.addInstance({ region, tags: { 'asset-id': 'r1' } });
    const mark = reapAfterTag(new Date('2026-11-22T07:00:00Z'));
    await aws.ec2(region).send(new CreateTagsCommand({ Resources: [vol, inst], Tags: [mark] }));
    expect(cloud.tagsOf(vol)).toEqual({ 'asset-id': 'r1', 'stagebot:reap-after': '2026-11-22T07:00:00Z' });
    await aws.ec2(region).send(new DeleteTagsCommand({ Resources: [inst], Tags: [{ Key: mark.Key }] }));
    expect(cloud.tagsOf(inst)).toEqual({ 'asset-id': 'r1' });
  });

  test('one unknown resource fails the call and tags nothing; aws: keys are reserved', async () => {
    const vol = cloud.addVolume({ region });
    await expect(aws.ec2(region).send(new CreateTagsCommand({ Resources: [vol, 'vol-0000000000000000f'], Tags: [{ Key: 'k', Value: 'v' }] }))).rejects.toMatchObject({
      name: 'InvalidVolume.NotFound',
    });
    expect(cloud.tagsOf(vol)).toEqual({});
    await expect(aws.ec2(region).send(new CreateTagsCommand({ Resources: [vol], Tags: [{ Key: 'aws:x', Value: 'v' }] }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});
