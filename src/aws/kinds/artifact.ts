// A run's test artifacts in the S3 bucket (`artifacts.storage: s3`): the objects under
// `<prefix><installation>/<runId>/`, each tagged at creation (PutObject `Tagging`) with the run's
// asset-id and stagebot:managed-by. One asset per run, named `s3://bucket/prefix/installation/run/`.
// They outlive their run on purpose: the orphan rule is the retention period, counted from the newest
// file. Priced as S3 Standard GB-months; removed with DeleteObjects. Listed by our key prefix (S3 has
// no tag filter on listings), then the tags of one object per run are read: no tag of ours, no asset.
import type { S3Client, _Object } from '@aws-sdk/client-s3';
import bytes from 'bytes';
import type { AwsCalls } from '../calls.ts';
import { deleteKeys, installationPrefix, listObjects, objectTags, parseS3Url, s3Url, S3_PAGE_MAX, type ArtifactBucket } from '../s3-objects.ts';
import type { AssetKindDescriptor, FoundAsset, ListScope } from './types.ts';

/** The objects of one run, as listed. */
export interface ArtifactGroup {
  bucket: string;
  region: string;
  /** `<prefix><installation>/<runId>/`. */
  prefix: string;
  objects: _Object[];
  /** The tags of its first object. */
  tags: Record<string, string>;
}

const GB = 1024 ** 3;

/** The bucket the sweeper lists in `region`: the configured one, when artifacts go to S3 and it is in that region. */
function bucketIn(scope: Pick<ListScope, 'config' | 'region'>): ArtifactBucket | null {
  const a = scope.config.artifacts;
  return a.storage === 's3' && a.s3 && a.s3.region === scope.region ? a.s3 : null;
}

export function artifactAsset(g: ArtifactGroup): FoundAsset {
  const size = g.objects.reduce((n, o) => n + (o.Size ?? 0), 0);
  const newest = g.objects.reduce((t, o) => Math.max(t, o.LastModified?.getTime() ?? 0), 0);
  return {
    kind: 'artifact',
    id: s3Url(g.bucket, g.prefix),
    region: g.region,
    tags: g.tags,
    createdAt: newest > 0 ? new Date(newest) : null,
    priced: [{ kind: 's3', region: g.region, sizeGb: size / GB }],
    detail: `${g.objects.length} file${g.objects.length === 1 ? '' : 's'}, ${bytes.format(size)}`,
    extra: { bucket: g.bucket, keys: g.objects.flatMap((o) => (o.Key ? [o.Key] : [])), sizeBytes: size },
  };
}

/** Every run folder under the installation's prefix, with the tags of each folder's first object. */
async function groups(s3: S3Client, calls: AwsCalls, bucket: ArtifactBucket, prefix: string): Promise<{ items: ArtifactGroup[]; pages: number }> {
  const listing = await listObjects(s3, calls, bucket.bucket, prefix);
  const byRun = new Map<string, _Object[]>();
  for (const o of listing.items) {
    const rest = o.Key?.slice(prefix.length) ?? '';
    const slash = rest.indexOf('/');
    // Only `<runId>/<name>`: anything else under our prefix is not something we wrote.
    if (!o.Key?.startsWith(prefix) || slash <= 0) continue;
    const runPrefix = `${prefix}${rest.slice(0, slash + 1)}`;
    byRun.set(runPrefix, [...(byRun.get(runPrefix) ?? []), o]);
  }
  const items: ArtifactGroup[] = [];
  for (const [runPrefix, objects] of byRun) {
    const tags = await objectTags(s3, calls, bucket.bucket, objects[0]!.Key!);
    items.push({ bucket: bucket.bucket, region: bucket.region, prefix: runPrefix, objects, tags });
  }
  return { items, pages: listing.pages + items.length };
}

/** One run folder as it is now, or null when nothing is left in it. */
async function group(s3: S3Client, calls: AwsCalls, bucket: string, region: string, runPrefix: string): Promise<ArtifactGroup | null> {
  const { items: objects } = await listObjects(s3, calls, bucket, runPrefix);
  if (objects.length === 0) return null;
  return { bucket, region, prefix: runPrefix, objects, tags: await objectTags(s3, calls, bucket, objects[0]!.Key!) };
}

export const artifact: AssetKindDescriptor<'artifact'> = {
  kind: 'artifact',
  singular: 'artifact set',
  plural: 'artifact sets',
  ec2ResourceType: null,
  // Tagged in the create call itself (PutObject's Tagging), not through TagSpecifications.
  createdBy: 'PutObject',
  // Tagging every object of a set would be one call per object: the mark is kept in the store.
  marks: 'store',
  retagOnKeep: false,
  rule: 'retention',
  markRegion: (id, config) => (id.startsWith('s3://') ? (config.artifacts.s3?.region ?? null) : null),
  iam: { read: ['s3:ListBucket', 's3:GetObject', 's3:GetObjectTagging'], create: ['s3:PutObject', 's3:PutObjectTagging'], remove: ['s3:DeleteObject'] },
  leftBehind: (a) => `test artifacts (${a.detail}) past their retention`,
  shortId: (id) => id.replace(/\/$/, '').split('/').pop() ?? id,
  swept: {
    taggingType: null,
    async list(scope) {
      const bucket = bucketIn(scope);
      if (!bucket) return { items: [], pages: 0 };
      return groups(scope.aws.s3(bucket.region), scope.calls, bucket, installationPrefix(bucket, scope.config.installation));
    },
    // One listing page, and one tag read per run folder (more pages past S3_PAGE_MAX objects).
    minimumCalls: (n) => (n === 0 ? 0 : 1 + n),
    assets: (_region, items) => (items as ArtifactGroup[]).map(artifactAsset),
  },
  reap: {
    async recheck(scope, due) {
      const fresh: FoundAsset[] = [];
      for (const d of due) {
        const where = parseS3Url(d.id);
        const now = where ? await group(scope.aws.s3(scope.region), scope.calls, where.bucket, scope.region, where.key) : null;
        if (now) fresh.push(artifactAsset(now));
      }
      return fresh;
    },
    recheckCalls: (_batches, due) => due.reduce((n, d) => n + 1 + Math.ceil((d.extra.keys?.length ?? 0) / S3_PAGE_MAX), 0),
    async remove(scope, a) {
      await deleteKeys(scope.aws.s3(scope.region), scope.calls, a.extra.bucket ?? '', a.extra.keys ?? []);
      return [];
    },
  },
};

