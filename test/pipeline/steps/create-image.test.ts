// create-image and the bake's teardown on the fake cloud: the image and its snapshots tagged at
// creation, the candidate written into the manifest, and nothing half made left behind — an image
// that fails is deregistered with its snapshots, and a bake that never finished loses its image.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TAG } from '../../../src/aws/tags.ts';
import type { RunContext } from '../../../src/pipeline/run-context.ts';
import { bakeTeardownStep } from '../../../src/pipeline/steps/bake.ts';
import { createImageStep } from '../../../src/pipeline/steps/create-image.ts';
import { launchStep } from '../../../src/pipeline/steps/launch.ts';
import { createTestRun, type TestRun } from '../support/run-context.ts';

describe('create-image', () => {
  let t: TestRun;
  let dir: string;
  let ctx: () => RunContext;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stagebot-create-image-'));
    t = await createTestRun({
      configure: (c) => {
        c.imageManifest.path = join(dir, 'manifest.json');
        // The builder starts from the seeded AMI of the environment the test run launches in.
        c.images['mentor-app']!.base = { ami: c.environments.stg1!.ami };
      },
    });
    // A bake of the example's mentor-app: the run's options name the image.
    const run = { ...t.run, kind: 'bake' as const, options: { browsers: [], image: 'mentor-app', ref: 'v2' } };
    ctx = () => ({ ...t.context(), run });
    const launched = await launchStep.run(ctx());
    t.outputs.set('launch', launched.outputs);
  });
  afterEach(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tagsAtCreation = (id: string) => t.cloud.tagsAtCreation(id);

  it('stops the builder, makes the image with tagged snapshots, and writes the candidate into the manifest', async () => {
    const { outputs } = await createImageStep.run(ctx());
    const o = outputs as { imageId: string; snapshotIds: string[]; name: string };
    expect(o.name).toBe(`mentor-app-candidate-${t.runId}`);
    expect(o.snapshotIds.length).toBe(1);
    expect(tagsAtCreation(o.imageId)).toMatchObject({ [TAG.assetId]: t.runId, 'stagebot:image': 'mentor-app', 'stagebot:image-channel': 'candidate' });
    expect(tagsAtCreation(o.snapshotIds[0]!)).toMatchObject({ [TAG.assetId]: t.runId, [TAG.managedBy]: t.config.installation });
    const builder = t.cloud.region(t.env.region).instances.get((t.outputs.get('launch') as { instanceId: string }).instanceId)!;
    expect(builder.state).toBe('stopped');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.images['mentor-app'][t.env.region].candidate).toMatchObject({ ami: o.imageId, bakeRun: t.runId });
    expect((await t.store.manifestHistory())[0]).toMatchObject({ author: 'cli:tester', reason: expect.stringContaining(`bake ${t.runId}`) });
    // The image and its snapshot are the run's assets (the bake's product: priced, not torn down).
    expect((await t.store.getAssets(t.runId)).filter((a) => a.kind === 'image' || a.kind === 'snapshot').map((a) => a.deletedAt)).toEqual([null, null]);
    // The bake's teardown removes the builder, not the image.
    await bakeTeardownStep.run({ ...ctx(), outputOf: ((step: string) => (step === 'create-image' ? outputs : t.outputs.get(step))) as RunContext['outputOf'] });
    expect(t.cloud.liveAssetsTaggedWith(t.runId).map((a) => a.kind).sort()).toEqual(['image', 'snapshot']);
  });

  it('an image that fails is deregistered with its snapshots, and the manifest is not touched', async () => {
    t.cloud.imageState = 'failed';
    await expect(createImageStep.run(ctx())).rejects.toThrow(/is failed, not available/);
    expect(t.cloud.liveAssetsTaggedWith(t.runId).filter((a) => a.kind === 'image' || a.kind === 'snapshot')).toEqual([]);
    expect((await t.store.getAssets(t.runId)).filter((a) => (a.kind === 'image' || a.kind === 'snapshot') && a.deletedAt === null)).toEqual([]);
    expect(() => readFileSync(join(dir, 'manifest.json'))).toThrow(/ENOENT/);
  });

  it('an image still pending past createImageTimeout is removed too', async () => {
    t.cloud.imageState = 'pending';
    t.config.images['mentor-app']!.createImageTimeout = 20_000;
    await expect(createImageStep.run(ctx())).rejects.toThrow(/still pending after 20s/);
    expect(t.cloud.liveAssetsTaggedWith(t.runId).filter((a) => a.kind === 'image' || a.kind === 'snapshot')).toEqual([]);
  });

  it("a bake that crashed after CreateImage: its teardown finds the image by tag and removes it with its snapshots and the builder", async () => {
    t.cloud.imageState = 'pending';
    t.config.images['mentor-app']!.createImageTimeout = 20_000;
    // The image exists but the step never finished (as after a kill -9): simulate by making it, then forgetting the step.
    const ec2 = t.aws.ec2(t.env.region);
    const { CreateImageCommand } = await import('@aws-sdk/client-ec2');
    const instanceId = (t.outputs.get('launch') as { instanceId: string }).instanceId;
    await ec2.send(new CreateImageCommand({ InstanceId: instanceId, Name: 'left-behind', TagSpecifications: [{ ResourceType: 'image', Tags: ctx().tags('x') }, { ResourceType: 'snapshot', Tags: ctx().tags('x') }] }));
    expect(t.cloud.liveAssetsTaggedWith(t.runId).map((a) => a.kind)).toContain('image');
    const { outputs } = await bakeTeardownStep.run(ctx());
    expect(outputs.failed).toEqual([]);
    expect(t.cloud.liveAssetsTaggedWith(t.runId).filter((a) => a.kind !== 'instance')).toEqual([]);
    t.cloud.settle();
    expect(t.cloud.liveAssetsTaggedWith(t.runId)).toEqual([]);
  });
});
