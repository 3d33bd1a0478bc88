// The Resource Groups Tagging API's GetResources over the region's EC2 resources. Like AWS, it is an
// index that lags reality: deleted resources (terminated instances, deleted volumes...) stay listed with
// their last tags for `taggingStaleMs`, so a sweeper must confirm with Describe* before acting.

import type { GetResourcesInput, GetResourcesOutput, ResourceTagMapping } from '@aws-sdk/client-resource-groups-tagging-api';
import type { Ctx } from './context.ts';
import { awsError } from './errors.ts';
import { ec2Arn, type ArnType } from './ids.ts';
import type { Resource } from './model.ts';
import { paginate } from './paginate.ts';

interface Entry {
  arn: string;
  resource: Resource;
}

function entries(ctx: Ctx): Entry[] {
  const { region, cloud } = ctx;
  const kinds: [ArnType, Iterable<Resource>][] = [
    ['instance', region.instances.values()],
    ['volume', region.volumes.values()],
    ['image', [...region.images.values()].filter((i) => i.ownerId === cloud.accountId)],
    ['snapshot', [...region.snapshots.values()].filter((s) => s.ownerId === cloud.accountId)],
    ['security-group-rule', region.sgRules.values()],
    ['key-pair', region.keyPairs.values()],
    ['network-interface', region.enis.values()],
  ];
  const out: Entry[] = [];
  for (const [type, resources] of kinds) {
    for (const r of resources) {
      if (r.tags.size === 0) continue;
      if (r.deletedAt !== null && ctx.now - r.deletedAt > cloud.options.taggingStaleMs) continue;
      out.push({ arn: ec2Arn(region.name, cloud.accountId, type, r.id), resource: r });
    }
  }
  return out;
}

/** `ec2` matches every EC2 type, `ec2:instance` only instances. */
function typeMatches(arn: string, filters: readonly string[] | undefined): boolean {
  if (!filters?.length) return true;
  const [, , service, , , rest] = arn.split(':');
  const type = rest?.split('/')[0];
  return filters.some((f) => f === service || f === `${service}:${type}`);
}

export function getResources(ctx: Ctx, input: GetResourcesInput): GetResourcesOutput {
  if (input.ResourcesPerPage !== undefined && input.TagsPerPage !== undefined) {
    throw awsError('tagging', 'InvalidParameterException', 'ResourcesPerPage and TagsPerPage cannot be used together');
  }
  if (input.ResourceARNList?.length) throw new Error('FakeCloud: GetResources with ResourceARNList is not implemented');
  const matched = entries(ctx).filter(
    (e) =>
      typeMatches(e.arn, input.ResourceTypeFilters) &&
      (input.TagFilters ?? []).every((f) => {
        const v = f.Key === undefined ? undefined : e.resource.tags.get(f.Key);
        return v !== undefined && (!f.Values?.length || f.Values.includes(v));
      }),
  );
  const page = paginate(matched, (e) => e.arn, input.ResourcesPerPage, input.PaginationToken || undefined, {
    op: 'GetResources', service: 'tagging', min: 1, max: 100, defaultSize: 100, param: 'ResourcesPerPage', errorCode: 'InvalidParameterException',
  });
  const list: ResourceTagMapping[] = page.items.map((e) => ({
    ResourceARN: e.arn,
    Tags: [...e.resource.tags].map(([Key, Value]) => ({ Key, Value })),
  }));
  // AWS ends with an empty-string token rather than none: a loop testing `!== undefined` never ends.
  return { ResourceTagMappingList: list, PaginationToken: page.nextToken ?? '' };
}
