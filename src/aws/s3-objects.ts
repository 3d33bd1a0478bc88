// The artifact bucket's objects: where a run's files live (`<prefix><installation>/<runId>/<name>`),
// written with their tags in the same request (PutObject `Tagging`: tagged at creation, like every
// asset), listed by that key layout, and deleted in batches. Used by the artifact storage and by the
// sweeper's artifact kind (kinds/artifact.ts).

import { createReadStream } from 'node:fs';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  type _Object,
} from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { chunks, type AwsCalls } from './calls.ts';
import { sanitizeTagValue } from './tags.ts';

export interface ArtifactBucket {
  bucket: string;
  region: string;
  /** Ends in `/`, or is empty. */
  prefix: string;
}

/** ListObjectsV2 and DeleteObjects take at most this many keys a call. */
export const S3_PAGE_MAX = 1000;

/** Everything of this installation: its runs' folders. */
export function installationPrefix(b: Pick<ArtifactBucket, 'prefix'>, installation: string): string {
  return `${b.prefix}${installation}/`;
}

export function runPrefix(b: Pick<ArtifactBucket, 'prefix'>, installation: string, runId: string): string {
  return `${installationPrefix(b, installation)}${runId}/`;
}

/** `s3://bucket/prefix/installation/run/`: how a run's artifacts are named as one asset. */
export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

export function parseS3Url(url: string): { bucket: string; key: string } | null {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(url);
  return m ? { bucket: m[1]!, key: m[2]! } : null;
}

/** S3's Tagging header: URL-encoded `key=value` pairs, values cut to what S3 accepts. */
export function taggingHeader(tags: Readonly<Record<string, string>>): string {
  return new URLSearchParams(Object.entries(tags).map(([k, v]): [string, string] => [k, sanitizeTagValue(v)])).toString();
}

export async function putTaggedFile(
  s3: S3Client,
  o: { bucket: string; key: string; file: string; size: number; contentType: string; tags: Readonly<Record<string, string>> },
): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: o.bucket,
      Key: o.key,
      Body: createReadStream(o.file),
      ContentLength: o.size,
      ContentType: o.contentType,
      Tagging: taggingHeader(o.tags),
    }),
  );
}

/** Every object under `prefix`, a page of S3_PAGE_MAX at a time. */
export async function listObjects(s3: S3Client, calls: AwsCalls, bucket: string, prefix: string): Promise<{ items: _Object[]; pages: number }> {
  return calls.pages(async (ContinuationToken) => {
    const out = await calls.send((o) => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: S3_PAGE_MAX, ContinuationToken }), o));
    return { items: out.Contents ?? [], next: out.IsTruncated ? out.NextContinuationToken : undefined };
  });
}

export async function objectTags(s3: S3Client, calls: AwsCalls, bucket: string, key: string): Promise<Record<string, string>> {
  const out = await calls.send((o) => s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }), o));
  return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

/** Deletes `keys`, a batch at a time; throws with the first key S3 refused. */
export async function deleteKeys(s3: S3Client, calls: AwsCalls, bucket: string, keys: readonly string[]): Promise<void> {
  for (const batch of chunks(keys, S3_PAGE_MAX)) {
    const out = await calls.send((o) => s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }), o));
    const refused = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
    if (refused.length > 0) {
      const first = refused[0]!;
      throw new Error(`S3 refused to delete ${refused.length} of ${batch.length} objects (${first.Key ?? '?'}: ${first.Code ?? 'error'} ${first.Message ?? ''})`.trim());
    }
  }
}

export async function getObject(s3: S3Client, bucket: string, key: string): Promise<{ body: Readable; size: number; contentType: string | null }> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return { body: out.Body as Readable, size: out.ContentLength ?? 0, contentType: out.ContentType ?? null };
}
