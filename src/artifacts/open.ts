// The storage `artifacts.storage` names.
import type { AwsClients } from '../aws/clients.ts';
import type { Config } from '../config/index.ts';
import { LocalArtifactDir } from './local-dir.ts';
import { S3ArtifactBucket } from './s3-bucket.ts';
import type { ArtifactStorage } from './storage.ts';

export function openArtifactStorage(config: Config, aws: AwsClients): ArtifactStorage {
  const a = config.artifacts;
  if (a.storage === 's3' && a.s3) return new S3ArtifactBucket(aws.s3(a.s3.region), a.s3, config.installation);
  return new LocalArtifactDir(a.dir);
}
