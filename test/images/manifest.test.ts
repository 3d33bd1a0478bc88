// Part one of the image lifecycle: `images:` in the config, the manifest file and its history, an
// environment's `ami: image:NAME@CHANNEL` resolved at launch, and the `images` report.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../src/config/index.ts';
import { createPrices } from '../../src/cost/prices.ts';
import { emptyManifest, type Manifest } from '../../src/domain/image.ts';
import { FileManifest, parseManifest } from '../../src/images/manifest.ts';
import { resolveAmi } from '../../src/images/resolve.ts';
import { imagesReport } from '../../src/images/report.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { parseCommand } from '../../src/commands/index.ts';
import { minimalConfig, problemsOf, toYaml } from '../config/helpers.ts';
import { ctx as commandCtx } from '../commands/context.ts';
import { createFakeAwsClients, FakeCloud } from '../fakes/cloud/index.ts';

function withImage(edit?: (data: Record<string, any>) => void): Record<string, any> {
  const data = minimalConfig();
  data.images = {
    'mentor-app': {
      base: { ami: 'ami-0aaaaaaaaaaaaaaa1' },
      regions: ['eu-west-1', 'us-east-1'],
      instanceType: 't3.large',
      subnets: ['subnet-0aa1111111111111a'],
      securityGroup: 'sg-0c1c1c1c1c1c1c1c1',
      ssh: { user: 'ubuntu', allowFrom: ['203.0.113.10/32'] },
      recipe: [{ name: 'install', run: 'echo install' }],
    },
  };
  edit?.(data);
  return data;
}

const entry = (ami: string, created = '2026-11-01T00:00:00.000Z') => ({ ami, architecture: 'x86_64', created, deprecation: null, bakeRun: 'bake-mentor-app-20261101-aaaaaa' });

describe('images in the config', () => {
  it('parses an image with its defaults, and an environment that names it', () => {
    const config = parseConfig(toYaml(withImage((d) => (d.environments.stg1.ami = 'image:mentor-app@stable'))), {});
    expect(config.images['mentor-app']).toMatchObject({ name: 'mentor-app', regions: ['eu-west-1', 'us-east-1'], keepCandidates: 3, deprecateAfter: 30 * 86_400_000, shareWith: [], rootVolume: { sizeGb: 30, type: 'gp3' } });
    expect(config.environments.stg1?.ami).toBe('image:mentor-app@stable');
  });

  it('says in one line per problem what is wrong and what is valid', () => {
    expect(problemsOf(toYaml(withImage((d) => (d.environments.stg1.ami = 'image:nope@stable'))))).toEqual([
      'environments.stg1.ami: names image nope, which is not under images (known: mentor-app)',
    ]);
    expect(problemsOf(toYaml(withImage((d) => (d.environments.stg1.ami = 'image:mentor-app@beta'))))).toEqual([
      'environments.stg1.ami: expected image:NAME@CHANNEL with an image name like mentor-app and a channel candidate, latest or stable, got "image:mentor-app@beta"',
    ]);
    expect(problemsOf(toYaml(withImage((d) => (d.images['mentor-app'].base = { ami: 'ami-0aaaaaaaaaaaaaaa1', name: 'ubuntu-*', owners: ['099720109477'] }))))).toEqual([
      'images.mentor-app.base: gives ami and name; give one of ami, name or ssm',
    ]);
    expect(problemsOf(toYaml(withImage((d) => (d.images['mentor-app'].shareWith = ['12345']))))).toEqual([
      'images.mentor-app.shareWith.0: expected a 12-digit AWS account id in quotes, like "123456789012", got "12345"',
    ]);
  });
});

describe('the manifest file', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stagebot-manifest-'));
    store = await openStore({ sqlitePath: join(dir, 'store.db') });
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads an absent file as empty, writes atomically, and records every version in the store', async () => {
    const file = new FileManifest(join(dir, 'images', 'manifest.json'), store);
    expect(await file.read()).toEqual(emptyManifest());
    const m: Manifest = { version: 1, updated: null, images: { 'mentor-app': { 'eu-west-1': { candidate: entry('ami-0bbbbbbbbbbbbbbb1') } } } };
    await file.write(m, { author: 'cli:qa', reason: 'bake bake-mentor-app-20261101-aaaaaa', at: new Date('2026-11-01T00:00:00Z') });
    const read = await file.read();
    expect(read.images['mentor-app']?.['eu-west-1']?.candidate?.ami).toBe('ami-0bbbbbbbbbbbbbbb1');
    expect(read.updated).toBe('2026-11-01T00:00:00.000Z');
    expect(JSON.parse(readFileSync(file.where, 'utf8'))).toEqual(read);
    const history = await store.manifestHistory();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ author: 'cli:qa', reason: 'bake bake-mentor-app-20261101-aaaaaa', manifest: read });
  });

  it('refuses a broken manifest with one line naming the file and the field', () => {
    expect(() => parseManifest('{', 'm.json')).toThrow(/^image manifest m\.json is not valid JSON/);
    expect(() => parseManifest(JSON.stringify({ version: 1, images: { a: { 'eu-west-1': { stable: { ami: 'nope', architecture: 'x86_64', created: 'x' } } } } }), 'm.json')).toThrow(
      /^image manifest m\.json: images\.a\.eu-west-1\.stable\.ami: /,
    );
    expect(() => parseManifest(JSON.stringify({ version: 1, images: { a: { 'eu-west-1': { beta: entry('ami-0bbbbbbbbbbbbbbb1') } } } }), 'm.json')).toThrow(/beta/);
  });
});

describe('an environment launching an image of the manifest', () => {
  const config = parseConfig(toYaml(withImage((d) => (d.environments.stg1.ami = 'image:mentor-app@stable'))), {});
  const env = config.environments.stg1!;
  const manifest: Manifest = {
    version: 1,
    updated: null,
    images: { 'mentor-app': { 'eu-west-1': { stable: entry('ami-0ccccccccccccccc1'), candidate: entry('ami-0ddddddddddddddd1') }, 'us-east-1': { stable: entry('ami-0eeeeeeeeeeeeeee1') } } },
  };

  it('takes the id of its region and channel, or the candidate, or an id given with --ami', () => {
    expect(resolveAmi(env, manifest)).toEqual({ ami: 'ami-0ccccccccccccccc1', from: 'image:mentor-app@stable' });
    expect(resolveAmi(env, manifest, 'candidate').ami).toBe('ami-0ddddddddddddddd1');
    expect(resolveAmi(env, null, 'ami-0fffffffffffffff1').ami).toBe('ami-0fffffffffffffff1');
    expect(resolveAmi({ ...env, ami: 'ami-0123456789abcdef0' }, null)).toEqual({ ami: 'ami-0123456789abcdef0', from: 'ami-0123456789abcdef0' });
  });

  it('says clearly when the manifest has no such image or channel', () => {
    expect(() => resolveAmi({ ...env, ami: 'image:mentor-app@latest' }, manifest)).toThrow(
      "stg1's ami image:mentor-app@latest: no latest AMI of image mentor-app in eu-west-1; eu-west-1 has stable, candidate",
    );
    expect(() => resolveAmi(env, emptyManifest())).toThrow('the manifest has no image mentor-app yet (bake it: `bake mentor-app`)');
    expect(() => resolveAmi({ ...env, ami: 'ami-0123456789abcdef0' }, manifest, 'candidate')).toThrow(/--ami=candidate needs stg1's ami to name an image/);
  });

  it('is parsed from every front: `launch stg1 --ami=candidate`, `images mentor-app`', () => {
    expect(parseCommand('launch stg1 --ami=candidate', commandCtx)).toMatchObject({ verb: 'launch', env: 'stg1', ami: 'candidate' });
    expect(parseCommand('launch stg1 --ami=ami-0123456789abcdef0', commandCtx)).toMatchObject({ ami: 'ami-0123456789abcdef0' });
    expect(() => parseCommand('launch stg1 --ami=latest', commandCtx)).toThrow('`latest` is not an AMI; give `candidate` or an AMI id like `ami-0a1b2c3d4e5f60001`');
    expect(parseCommand('images mentor-app', commandCtx)).toEqual({ verb: 'images', image: 'mentor-app' });
    expect(parseCommand('images', commandCtx)).toEqual({ verb: 'images', image: null });
    expect(() => parseCommand('images mentor', commandCtx)).toThrow(/unknown image `mentor`/);
  });
});

describe('the images report', () => {
  it('shows each AMI with age, size, monthly snapshot cost and users, and the drift', async () => {
    const cloud = new FakeCloud();
    const aws = createFakeAwsClients(cloud);
    const stable = cloud.addImage({ region: 'eu-west-1', name: 'mentor-app-x', snapshotSizeGb: 40 });
    const config: Config = parseConfig(toYaml(withImage((d) => (d.environments.stg1.ami = 'image:mentor-app@stable'))), {});
    const manifest: Manifest = {
      version: 1,
      updated: '2026-11-02T00:00:00.000Z',
      images: { 'mentor-app': { 'eu-west-1': { stable: entry(stable.imageId), candidate: entry('ami-0ddddddddddddddd1') } } },
    };
    const prices = createPrices({ instances: {}, snapshotGbMonth: 0.05 });
    const report = await imagesReport(
      { config, aws, prices, manifest: { where: '/m.json', read: async () => manifest, write: async () => ({ kind: 'written' as const, where: '/m.json' }) }, now: () => new Date('2026-11-11T00:00:00Z') },
      null,
    );
    const row = report.data.rows.find((r) => r.channel === 'stable')!;
    expect(row).toMatchObject({ ami: stable.imageId, sizeGb: 40, monthlyUsd: 2, ageMs: 10 * 86_400_000, state: 'available', usedBy: ['stg1'] });
    expect(report.data.rows.find((r) => r.channel === 'candidate')).toMatchObject({ state: null, sizeGb: null, usedBy: [] });
    expect(report.data.drift.map((d) => d.problem)).toEqual([
      'mentor-app@candidate ami-0ddddddddddddddd1 does not exist in eu-west-1 (deregistered, or not shared with this account)',
      'mentor-app@stable is missing in us-east-1 (images.mentor-app.regions needs it there; promote again to copy it)',
    ]);
    expect(report.text).toContain('$2.00/month');
    expect(report.text).toContain('used by stg1');
  });
});
