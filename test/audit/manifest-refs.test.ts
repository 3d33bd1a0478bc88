// The daily sweep and the image manifest: an AMI that the manifest (now or in any recorded version)
// names is never an orphan, the manifest's drift is in the report, and a manifest that cannot be read
// leaves every AMI unjudged and the sweep incomplete.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/domain/image.ts';
import type { ManifestBackend } from '../../src/images/manifest.ts';
import { UserError } from '../../src/errors.ts';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/index.ts';
import { DAY, INSTALLATION, World, configData } from './support/world.ts';

const entry = (ami: string) => ({ ami, architecture: 'x86_64', created: '2026-10-01T00:00:00.000Z', deprecation: null, bakeRun: 'bake-mentor-app-20261001-aaaaaa' });
const backend = (m: Manifest): ManifestBackend => ({ where: '/m.json', read: async () => m, write: async () => ({ kind: 'written' as const, where: '/m.json' }) });

describe('the sweep and the image manifest', () => {
  let w: World;
  beforeEach(async () => {
    w = await World.create();
  });
  afterEach(async () => {
    await w.store.close();
  });

  it('never judges an AMI the manifest names an orphan, and reports the manifest drift', async () => {
    // Two newer AMIs fill sweeper.amiKeepNewest (2): without the manifest, the named one would be an orphan.
    w.ami('stg4', 40);
    w.ami('stg4', 41);
    const named = w.ami('stg4', 45);
    const older = w.ami('stg4', 43);
    const manifest: Manifest = { version: 1, updated: null, images: { 'mentor-app': { 'eu-west-1': { stable: entry(named.imageId), latest: entry('ami-0ddddddddddddddd1') } } } };
    const r = await w.sweep({}, { manifest: backend(manifest) });
    const orphanIds = r.orphans.map((o) => o.id);
    expect(orphanIds).not.toContain(named.imageId);
    expect(orphanIds).toContain(older.imageId);
    const without = await w.sweep({}, { manifest: backend({ version: 1, updated: null, images: {} }) });
    expect(without.orphans.map((o) => o.id)).toContain(named.imageId);
    expect(r.drift.map((d) => d.problem)).toContain('mentor-app@latest ami-0ddddddddddddddd1 does not exist in eu-west-1 (deregistered, or not shared with this account)');
  });

  it('keeps the AMIs an earlier version of the manifest named (a rollback may need them)', async () => {
    w.ami('stg4', 40);
    w.ami('stg4', 41);
    const old = w.ami('stg4', 45);
    await w.store.recordManifest({ at: w.now, author: 'cli:qa', reason: 'promote', manifest: { version: 1, updated: null, images: { 'mentor-app': { 'eu-west-1': { stable: entry(old.imageId) } } } } });
    const r = await w.sweep({}, { manifest: backend({ version: 1, updated: null, images: {} }) });
    expect(r.orphans.map((o) => o.id)).not.toContain(old.imageId);
  });

  it('a manifest that cannot be read: no AMI is judged, and the sweep says it is incomplete', async () => {
    w.ami('stg4', 40);
    w.ami('stg4', 41);
    const old = w.ami('stg4', 45);
    const broken: ManifestBackend = { where: '/m.json', read: async () => Promise.reject(new UserError('image manifest /m.json is not valid JSON')), write: async () => ({ kind: 'written' as const, where: '/m.json' }) };
    const r = await w.sweep({}, { manifest: broken });
    expect(r.orphans.map((o) => o.id)).not.toContain(old.imageId);
    expect(r.complete).toBe(false);
    expect(r.unswept).toContainEqual({ region: 'eu-west-1', kind: 'image', reason: 'the image manifest could not be read (image manifest /m.json is not valid JSON); no AMI was judged an orphan' });
  });

  it("keeps an image's newest candidates by its keepCandidates, apart from the environments' AMIs", async () => {
    const data = configData();
    data.images = {
      'mentor-app': {
        base: { ami: 'ami-0e1f2a3b4c5d60004' }, regions: ['eu-west-1'], instanceType: 't3.large', subnets: ['subnet-0aa1111111111111a'],
        securityGroup: 'sg-0c1c1c1c1c1c1c1c1', ssh: { user: 'ubuntu', allowFrom: ['203.0.113.10/32'] }, recipe: [{ name: 'x', run: 'true' }], keepCandidates: 1,
      },
    };
    const store = w.store;
    const c = await World.create({ config: parseConfig(stringify(data), {}), store });
    const candidate = (ageDays: number) => {
      const tags = { 'stagebot:managed-by': INSTALLATION, 'stagebot:env': 'image:mentor-app', 'asset-id': `bake-mentor-app-2026100${ageDays % 10}-aaaaaa`, 'stagebot:image-channel': 'candidate' };
      return c.cloud.addImage({ region: 'eu-west-1', name: `mentor-app-candidate-${ageDays}`, tags, snapshotTags: tags, createdAt: new Date(c.now.getTime() - ageDays * DAY) }).imageId;
    };
    const newest = candidate(20);
    const older = candidate(21);
    const oldest = candidate(22);
    const r = await c.sweep({}, { manifest: backend({ version: 1, updated: null, images: {} }) });
    const ids = r.orphans.map((o) => o.id);
    expect(ids).not.toContain(newest);
    expect(ids).toEqual(expect.arrayContaining([older, oldest]));
    // The reason names the setting that kept only one: the image's, not the sweeper's.
    expect(r.orphans.find((o) => o.id === older)!.reason).toMatch(/^AMI of image:mentor-app made 21 days ago, not configured and not among the 1 newest candidates of image:mentor-app \(images\.mentor-app\.keepCandidates\); its snapshots go with it$/);
  });
});
