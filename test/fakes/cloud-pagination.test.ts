// Pagination and filters as AWS does them: every item exactly once, page sizes within AWS's ranges.
import { describe, expect, test } from 'vitest';
import {
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  paginateDescribeInstances,
  paginateDescribeVolumes,
  type Filter,
} from '@aws-sdk/client-ec2';
import { GetResourcesCommand, paginateGetResources } from '@aws-sdk/client-resource-groups-tagging-api';
import { managedByFilter, runFilter, tagFilter, tagKeyFilter, taggingFilter } from '../../src/aws/tags.ts';
import { FakeCloud, createFakeAwsClients } from './cloud/index.ts';

const region = 'us-east-1';

function world() {
  const cloud = new FakeCloud();
  return { cloud, aws: createFakeAwsClients(cloud) };
}

describe('DescribeVolumes', () => {
  test('1200 volumes, paged by MaxResults: every one exactly once', async () => {
    const { cloud, aws } = world();
    const ids = new Set(Array.from({ length: 1200 }, (_, i) => cloud.addVolume({ region, sizeGb: 1 + (i % 50), tags: { 'stagebot:managed-by': 'acme' } })));
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const out = await aws.ec2(region).send(new DescribeVolumesCommand({ MaxResults: 500, NextToken: token }));
      pageSizes.push(out.Volumes?.length ?? 0);
      seen.push(...(out.Volumes ?? []).map((v) => v.VolumeId ?? ''));
      token = out.NextToken;
      if (!token) break;
    }
    expect(pageSizes).toEqual([500, 500, 200]);
    expect(seen).toHaveLength(1200);
    expect(new Set(seen)).toEqual(ids);
  });

  test("the SDK's paginator walks the same pages", async () => {
    const { cloud, aws } = world();
    for (let i = 0; i < 23; i++) cloud.addVolume({ region });
    let pages = 0;
    const seen = new Set<string>();
    for await (const page of paginateDescribeVolumes({ client: aws.ec2(region), pageSize: 5 }, {})) {
      pages++;
      for (const v of page.Volumes ?? []) seen.add(v.VolumeId ?? '');
    }
    expect(pages).toBe(5);
    expect(seen.size).toBe(23);
  });

  test('deleting during paging neither repeats nor skips the rest', async () => {
    const { cloud, aws } = world();
    const all = Array.from({ length: 20 }, () => cloud.addVolume({ region })).sort();
    const first = await aws.ec2(region).send(new DescribeVolumesCommand({ MaxResults: 10 }));
    const firstIds = (first.Volumes ?? []).map((v) => v.VolumeId ?? '');
    for (const id of firstIds) cloud.region(region).volumes.delete(id);
    const second = await aws.ec2(region).send(new DescribeVolumesCommand({ MaxResults: 10, NextToken: first.NextToken }));
    expect([...firstIds, ...(second.Volumes ?? []).map((v) => v.VolumeId ?? '')].sort()).toEqual(all);
    expect(second.NextToken).toBeUndefined();
  });

  test('page sizes outside AWS ranges, ids with MaxResults, and foreign tokens are refused', async () => {
    const { cloud, aws } = world();
    const id = cloud.addVolume({ region });
    await expect(aws.ec2(region).send(new DescribeVolumesCommand({ MaxResults: 4 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    await expect(aws.ec2(region).send(new DescribeVolumesCommand({ VolumeIds: [id], MaxResults: 5 }))).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await expect(aws.ec2(region).send(new DescribeVolumesCommand({ MaxResults: 5, NextToken: 'garbage' }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    // DescribeVolumes quietly caps sizes above 500, as AWS documents.
    expect((await aws.ec2(region).send(new DescribeVolumesCommand({ MaxResults: 5000 }))).Volumes).toHaveLength(1);
    await expect(aws.ec2(region).send(new DescribeInstancesCommand({ MaxResults: 5000 }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('DescribeInstances', () => {
  test('pages count instances, grouped in their reservations', async () => {
    const { cloud, aws } = world();
    const ids = Array.from({ length: 12 }, () => cloud.addInstance({ region, tags: { 'asset-id': 'r1' } }));
    const pages: number[] = [];
    const seen: string[] = [];
    for await (const page of paginateDescribeInstances({ client: aws.ec2(region), pageSize: 5 }, {})) {
      const instances = (page.Reservations ?? []).flatMap((r) => r.Instances ?? []);
      pages.push(instances.length);
      seen.push(...instances.map((i) => i.InstanceId ?? ''));
      for (const r of page.Reservations ?? []) expect(r.ReservationId).toMatch(/^r-[0-9a-f]{17}$/);
    }
    expect(pages).toEqual([5, 5, 2]);
    expect(seen.sort()).toEqual(ids.sort());
  });

  test('filters: tag:K, tag-key, instance-state-name, instance-id; AND across filters, OR within, wildcards', async () => {
    const { cloud, aws } = world();
    const ours = cloud.addInstance({ region, tags: { 'stagebot:managed-by': 'acme', 'asset-id': 'stg4-20261121-a1b2c3' } });
    const oursStopped = cloud.addInstance({ region, state: 'stopped', tags: { 'stagebot:managed-by': 'acme', 'asset-id': 'stg1-20261120-ffffff' } });
    const theirs = cloud.addInstance({ region, tags: { 'stagebot:managed-by': 'other' } });
    const decoy = cloud.addInstance({ region });
    const ids = async (filters: Filter[]) =>
      ((await aws.ec2(region).send(new DescribeInstancesCommand({ Filters: filters }))).Reservations ?? [])
        .flatMap((r) => r.Instances ?? [])
        .map((i) => i.InstanceId)
        .sort();

    expect(await ids([managedByFilter('acme')])).toEqual([ours, oursStopped].sort());
    expect(await ids([tagKeyFilter('stagebot:managed-by')])).toEqual([ours, oursStopped, theirs].sort());
    expect(await ids([managedByFilter('acme'), { Name: 'instance-state-name', Values: ['running', 'pending'] }])).toEqual([ours]);
    expect(await ids([tagFilter('asset-id', ['stg4-*'])])).toEqual([ours]);
    expect(await ids([runFilter('stg1-20261120-ffffff')])).toEqual([oursStopped]);
    expect(await ids([{ Name: 'instance-id', Values: [decoy, theirs] }])).toEqual([decoy, theirs].sort());
    await expect(ids([{ Name: 'instance-state', Values: ['running'] }])).rejects.toMatchObject({ name: 'InvalidParameterValue', message: "The filter 'instance-state' is invalid" });
    await expect(ids([{ Name: 'tag:asset-id', Values: [] }])).rejects.toMatchObject({ name: 'MissingParameter' });
  });

  test('InstanceIds naming an unknown instance fail the whole call', async () => {
    const { cloud, aws } = world();
    const known = cloud.addInstance({ region });
    await expect(aws.ec2(region).send(new DescribeInstancesCommand({ InstanceIds: [known, 'i-0000000000000000f'] }))).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
      message: "The instance ID 'i-0000000000000000f' does not exist",
    });
  });
});

test('DescribeSnapshots without OwnerIds also lists other accounts\' public snapshots', async () => {
  const { cloud, aws } = world();
  const mine = cloud.addSnapshot({ region, sizeGb: 200 });
  cloud.addSnapshot({ region, ownerId: '099720109477' });
  expect((await aws.ec2(region).send(new DescribeSnapshotsCommand({}))).Snapshots).toHaveLength(2);
  const own = await aws.ec2(region).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: 'volume-size', Values: ['200'] }] }));
  expect(own.Snapshots?.map((s) => s.SnapshotId)).toEqual([mine]);
});

describe('GetResources', () => {
  test('100 per page at most, an empty-string token at the end, every resource once', async () => {
    const { cloud, aws } = world();
    for (let i = 0; i < 230; i++) cloud.addVolume({ region, tags: { 'stagebot:managed-by': 'acme' } });
    cloud.addVolume({ region, tags: { 'stagebot:managed-by': 'other' } });
    cloud.addVolume({ region });
    const sizes: number[] = [];
    const arns = new Set<string>();
    for await (const page of paginateGetResources({ client: aws.tagging(region) }, { TagFilters: [taggingFilter('stagebot:managed-by', ['acme'])] })) {
      sizes.push(page.ResourceTagMappingList?.length ?? 0);
      for (const r of page.ResourceTagMappingList ?? []) arns.add(r.ResourceARN ?? '');
    }
    expect(sizes).toEqual([100, 100, 30]);
    expect(arns.size).toBe(230);
    const last = await aws.tagging(region).send(new GetResourcesCommand({ ResourcesPerPage: 100, TagFilters: [taggingFilter('stagebot:managed-by', ['other'])] }));
    expect(last.PaginationToken).toBe('');
    await expect(aws.tagging(region).send(new GetResourcesCommand({ ResourcesPerPage: 101 }))).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  test('ResourceTypeFilters and ARNs in AWS format', async () => {
    const { cloud, aws } = world();
    const tags = { 'asset-id': 'r1' };
    const inst = cloud.addInstance({ region, tags, volumeTags: {} });
    const vol = cloud.addVolume({ region, tags });
    const { imageId, snapshotId } = cloud.addImage({ region, name: 'ami', tags, snapshotTags: tags });
    const arnsFor = async (types?: string[]) =>
      ((await aws.tagging(region).send(new GetResourcesCommand({ TagFilters: [taggingFilter('asset-id', ['r1'])], ResourceTypeFilters: types }))).ResourceTagMappingList ?? [])
        .map((r) => r.ResourceARN)
        .sort();
    expect(await arnsFor(['ec2:instance'])).toEqual([`arn:aws:ec2:us-east-1:123456789012:instance/${inst}`]);
    expect(await arnsFor(['ec2:volume', 'ec2:snapshot'])).toEqual([`arn:aws:ec2:us-east-1:123456789012:volume/${vol}`, `arn:aws:ec2:us-east-1::snapshot/${snapshotId}`].sort());
    expect(await arnsFor(['ec2:image'])).toEqual([`arn:aws:ec2:us-east-1::image/${imageId}`]);
    expect(await arnsFor(['ec2'])).toHaveLength(4);
    expect(await arnsFor(['elasticloadbalancing'])).toEqual([]);
  });
});
