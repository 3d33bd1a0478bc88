// Artifacts as objects in the configured bucket, `<prefix><installation>/<runId>/<name>`, each tagged at
// creation with the run's asset-id, stagebot:managed-by and stagebot:env. Retention is the sweeper's:
// the `artifact` asset kind (src/aws/kinds/artifact.ts) lists, prices and reaps them.

import type { S3Client } from '@aws-sdk/client-s3';
import { AwsCalls } from '../aws/calls.ts';
import { isNotFound } from '../aws/errors.ts';
import { getObject, listObjects, putTaggedFile, runPrefix, type ArtifactBucket } from '../aws/s3-objects.ts';
import { TAG } from '../aws/tags.ts';
import { runIdEnv } from '../domain/run-id.ts';
import { checkArtifactName, type ArtifactStorage, type OpenedFile, type StoredFile } from './storage.ts';

export class S3ArtifactBucket implements ArtifactStorage {
  readonly kind = 's3' as const;
  readonly where: string;
  readonly #s3: S3Client;
  readonly #bucket: ArtifactBucket;
  readonly #installation: string;

  constructor(s3: S3Client, bucket: ArtifactBucket, installation: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
    this.#installation = installation;
    this.where = `s3://${bucket.bucket}/${bucket.prefix}${installation}/`;
  }

  #key(runId: string, name: string): string {
    checkArtifactName(runId, name);
    return `${runPrefix(this.#bucket, this.#installation, runId)}${name}`;
  }

  async put(runId: string, name: string, file: { path: string; size: number; contentType: string }): Promise<void> {
    const env = runIdEnv(runId);
    await putTaggedFile(this.#s3, {
      bucket: this.#bucket.bucket,
      key: this.#key(runId, name),
      file: file.path,
      size: file.size,
      contentType: file.contentType,
      tags: { [TAG.assetId]: runId, [TAG.managedBy]: this.#installation, ...(env ? { [TAG.env]: env } : {}) },
    });
  }

  async list(runId: string): Promise<StoredFile[]> {
    checkArtifactName(runId, 'x');
    const prefix = runPrefix(this.#bucket, this.#installation, runId);
    const { items } = await listObjects(this.#s3, new AwsCalls(), this.#bucket.bucket, prefix);
    return items.flatMap((o) => (o.Key ? [{ name: o.Key.slice(prefix.length), size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) }] : []));
  }

  async open(runId: string, name: string): Promise<OpenedFile | null> {
    try {
      const { body, size } = await getObject(this.#s3, this.#bucket.bucket, this.#key(runId, name));
      return { body, size };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }
}
