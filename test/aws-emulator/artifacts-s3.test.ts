// Test artifacts in S3, against moto's server over HTTP (AWS_ENDPOINT_URL_S3, as any AWS tool honours
// it; path-style addressing through the config's `artifacts.s3.forcePathStyle`, as an S3-compatible
// store without virtual-host buckets would set it). Each object is tagged in the PutObject itself; the
// sweeper lists a run's objects as one asset, prices it as S3 Standard, leaves it alone while it is
// within retention, marks it past retention and deletes it after the grace period, and never touches
// what another installation wrote or what does not carry our tag. EC2 and STS stay on the fake cloud.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectTaggingCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { S3ArtifactBucket } from '../../src/artifacts/s3-bucket.ts';
import { createAwsClients, type AwsClients } from '../../src/aws/clients.ts';
import { HOURS_PER_MONTH } from '../../src/cost/price-table.ts';
import { DAY, World, configData } from '../audit/support/world.ts';
import { parseConfig } from '../../src/config/index.ts';
import { stringify } from 'yaml';
import { startMoto, type Moto } from './support/moto.ts';
import { describeWithMoto } from './support/suite.ts';

const BUCKET = 'acme-stagebot-artifacts';
const REGION = 'eu-west-1';
const OLD_RUN = 'stg4-20261120-a1b2c3';
const OTHER_RUN = 'stg4-20261120-d4e5f6';

describeWithMoto('artifacts in S3 (moto)', () => {
  let moto: Moto;
  let s3clients: AwsClients;
  let s3: S3Client;
  let dir: string;
  const saved = { endpoint: process.env.AWS_ENDPOINT_URL_S3 };

  beforeAll(async () => {
    moto = await startMoto();
    process.env.AWS_ENDPOINT_URL_S3 = moto.url;
    s3clients = createAwsClients({ credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, s3ForcePathStyle: true });
    s3 = s3clients.s3(REGION);
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }));
    dir = await mkdtemp(join(tmpdir(), 'stagebot-s3-artifacts-'));
  }, 60_000);

  afterAll(async () => {
    s3clients?.destroy();
    await moto?.stop();
    if (saved.endpoint === undefined) delete process.env.AWS_ENDPOINT_URL_S3;
    else process.env.AWS_ENDPOINT_URL_S3 = saved.endpoint;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function file(name: string, size: number): Promise<{ path: string; size: number; contentType: string }> {
    const path = join(dir, name);
    await writeFile(path, Buffer.alloc(size, 7));
    return { path, size, contentType: 'application/octet-stream' };
  }

  it('tags at creation, lists, prices, keeps within retention, then marks and reaps past it; never touches others', { timeout: 60_000 }, async () => {
    const config = parseConfig(
      stringify({ ...configData(), artifacts: { storage: 's3', s3: { bucket: BUCKET, region: REGION, prefix: 'stagebot/', forcePathStyle: true }, retention: '14d', linkTtl: '7d' } }),
      {},
    );
    const world = await World.create({ config });
    // The fake cloud answers EC2 and STS; S3 goes to moto.
    const aws: AwsClients = { ...world.aws, s3: (region) => s3clients.s3(region) };
    const storage = new S3ArtifactBucket(s3clients.s3(REGION), config.artifacts.s3!, config.installation);

    // Kept by a run: each object carries the run's asset-id and our managed-by from its PutObject.
    await storage.put(OLD_RUN, 'chrome/report.json', await file('report.json', 2_000));
    await storage.put(OLD_RUN, 'chrome/failures/1/trace.zip', await file('trace.zip', 300_000));
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: `stagebot/acme-staging/${OLD_RUN}/chrome/failures/1/trace.zip` }));
    expect(Object.fromEntries((tags.TagSet ?? []).map((t) => [t.Key, t.Value]))).toEqual({ 'asset-id': OLD_RUN, 'stagebot:managed-by': 'acme-staging', 'stagebot:env': 'stg4' });
    expect((await storage.list(OLD_RUN)).map((f) => [f.name, f.size])).toEqual([
      ['chrome/failures/1/trace.zip', 300_000],
      ['chrome/report.json', 2_000],
    ]);
    const opened = await storage.open(OLD_RUN, 'chrome/report.json');
    expect(opened?.size).toBe(2_000);
    opened?.body.destroy();
    expect(await storage.open(OLD_RUN, 'chrome/missing.png')).toBeNull();

    // Not ours: another installation's run, and an object in our folder without our tag.
    const other = new S3ArtifactBucket(s3clients.s3(REGION), config.artifacts.s3!, 'someone-else');
    await other.put(OTHER_RUN, 'chrome/report.json', await file('other.json', 1_000));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `stagebot/acme-staging/${OTHER_RUN}/chrome/report.json`, Body: 'x', Tagging: 'stagebot:managed-by=someone-else' }));

    const keys = async () => ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? []).map((o) => o.Key).sort();
    const before = await keys();
    expect(before).toHaveLength(4);
    const keptAt = Date.now();
    const at = (days: number) => new Date(keptAt + days * DAY);

    // Within retention: listed, not an orphan.
    const young = await world.sweep({ mode: 'reap', now: at(13) }, { aws });
    expect(young.errors).toEqual([]);
    expect(young.orphans).toEqual([]);

    // Past retention: an orphan, priced as S3 Standard, marked (in the store); nothing deleted yet.
    const old = await world.sweep({ mode: 'reap', now: at(15) }, { aws });
    expect(old.errors).toEqual([]);
    expect(old.orphans).toHaveLength(1);
    const orphan = old.orphans[0]!;
    expect(orphan).toMatchObject({ kind: 'artifact', id: `s3://${BUCKET}/stagebot/acme-staging/${OLD_RUN}/`, region: REGION, runId: OLD_RUN, env: 'stg4', marked: true, due: false });
    expect(orphan.reason).toMatch(/^kept 15 days ago, retention is 14 days; test artifacts \(2 files, 294\.92KB\) past their retention$/);
    const gb = 302_000 / 1024 ** 3;
    expect(orphan.dailyUsd).toBeCloseTo((gb * 0.023 * 24) / HOURS_PER_MONTH, 12);
    // A day past retention (S3 keeps LastModified to the second, so a little more).
    expect(orphan.accruedUsd! / ((gb * 0.023 * 24) / HOURS_PER_MONTH)).toBeCloseTo(1, 4);
    expect(await keys()).toEqual(before);

    // After the grace period: re-checked and deleted, the others left alone.
    const reap = await world.sweep({ mode: 'reap', now: at(16.1) }, { aws });
    expect(reap.errors).toEqual([]);
    expect(reap.reaped).toEqual([expect.objectContaining({ kind: 'artifact', id: orphan.id, runId: OLD_RUN })]);
    expect(await keys()).toEqual([`stagebot/acme-staging/${OTHER_RUN}/chrome/report.json`, `stagebot/someone-else/${OTHER_RUN}/chrome/report.json`]);
    expect(await storage.list(OLD_RUN)).toEqual([]);
    // Its store mark is forgotten once it is gone.
    const after = await world.sweep({ mode: 'dry-run', now: at(17) }, { aws });
    expect(after.orphans).toEqual([]);
    expect((await world.store.kvGet('sweeper:target-marks'))?.value).toEqual({});
  });
});
