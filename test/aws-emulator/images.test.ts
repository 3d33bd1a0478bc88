// The image lifecycle through the real `stagebot` CLI against moto: a bake (a builder from the
// image's base, its recipe over SSH on the suite's real sshd, CreateImage with tagged snapshots, the
// builder torn down) makes the image's candidate in the manifest; `images` shows it; the candidate
// launches an environment (`--ami=candidate`); `promote` (a run: CopyImage to both regions, share,
// one manifest write, deprecate what it replaced) makes it latest; the daily sweep keeps every release
// and reports drift only once a manifest AMI is gone; a bake whose recipe fails leaves nothing behind.
// Every asset carried its run's tags at creation (moto's recording).
import { DeregisterImageCommand, DescribeImageAttributeCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TAG } from '../../src/aws/tags.ts';
import { creationsOf, launchedInstances, untaggedCreations } from './support/leftovers.ts';
import { expectAllowedByPolicy, expectNothingLeft, findRun, jsonOf, stepStates, waitFor } from './support/runs.ts';
import { processesMatching } from '../support/processes.ts';
import { describeWithMoto } from './support/suite.ts';
import { EAST, STAGEBOT_KEY, WEST, buildWorld, type EmuWorld } from './support/world.ts';

let w: EmuWorld;

/** A run's step timings and the AWS calls stagebot made for it, by action, from moto's recording (quoted in the report). */
function logCalls(what: string, runId: string, doc: { steps: { step: string; state: string; durationMs: number | null }[] }, recorded: readonly { accessKey: string; action: string }[]): void {
  const counts: Record<string, number> = {};
  for (const r of recorded) if (r.accessKey === STAGEBOT_KEY) counts[r.action] = (counts[r.action] ?? 0) + 1;
  console.log(`${what} ${runId} steps: ${doc.steps.map((s) => `${s.step} ${s.state} ${s.durationMs ?? '-'}ms`).join(', ')}\nAWS calls: ${JSON.stringify(counts)}`);
}

function imageConfig(world: { dir: string; envs: EmuWorld['envs']; sshd: EmuWorld['sshd'] }): Record<string, unknown> {
  const flag = join(world.dir, 'flags', 'bake.fail');
  return {
    base: { ami: world.envs.stg1.ami },
    regions: [EAST, WEST],
    instanceType: 't3.large',
    subnets: world.envs.stg1.subnets,
    securityGroup: world.envs.stg1.securityGroup,
    ssh: { user: world.sshd.username, host: '127.0.0.1', port: world.sshd.port, allowFrom: ['203.0.113.10/32'], authFailFast: '10s' },
    recipe: [
      { name: 'install the release', run: 'echo "installing $STAGEBOT_REF for $STAGEBOT_RUN_ID"', timeout: '30s' },
      { name: 'check the build', run: `test ! -e ${flag}`, timeout: '30s' },
      // Bounded: at most a minute, whatever the test does.
      { name: 'wait while blocked', run: `for i in $(seq 1 600); do [ -e ${join(world.dir, 'flags', 'bake.block')} ] || exit 0; sleep 0.1; done; exit 1`, timeout: '2m' },
    ],
    keepCandidates: 2,
    shareWith: ['210987654321'],
  };
}

describeWithMoto('the image lifecycle through the CLI, against moto', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    w = await buildWorld();
    w.writeConfig((data) => {
      data.images = { 'mentor-app': imageConfig(w) };
    });
    await w.moto.startRecording();
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it('bake: builder, recipe, stop, CreateImage with tagged image and snapshots, teardown; the candidate is in the manifest and in `images`', async () => {
    const res = await w.stagebot(['bake', 'mentor-app', '--ref=v2.4.0', '--output', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const doc = jsonOf(res);
    expect(doc.state).toBe('succeeded');
    const runId: string = doc.runId;
    expect(runId).toMatch(/^bake-mentor-app-\d{8}-[0-9a-f]{6}$/);
    expect(stepStates(doc)).toEqual({ launch: 'succeeded', 'open-ssh': 'succeeded', 'wait-ssh': 'succeeded', 'bake-recipe': 'succeeded', 'create-image': 'succeeded', teardown: 'succeeded' });

    // The builder and everything it needed are gone; the image and its snapshots are the product.
    await expectNothingLeft(w, runId);
    const live = doc.assets.filter((a: any) => a.deletedAt === null).map((a: any) => a.kind).sort();
    expect(live).toEqual(['image', 'snapshot']);
    expect(doc.assets.filter((a: any) => a.deletedAt !== null).map((a: any) => a.kind).sort()).toEqual(['instance', 'key-pair', 'network-interface', 'security-group-rule', 'volume']);

    // Tagged at creation, image and snapshots alike (moto's own recording of the requests).
    const recorded = await w.moto.recording();
    expect(untaggedCreations(recorded)).toEqual([]);
    expect(creationsOf(recorded, runId)).toEqual({ CreateKeyPair: 1, RunInstances: 1, AuthorizeSecurityGroupIngress: 1, CreateImage: 1 });

    const manifest = JSON.parse(readFileSync(join(w.dir, 'images', 'manifest.json'), 'utf8'));
    const candidate = manifest.images['mentor-app'][EAST].candidate;
    expect(candidate).toMatchObject({ ami: expect.stringMatching(/^ami-/), bakeRun: runId, deprecation: null });
    const ec2 = w.ec2(EAST);
    const img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [candidate.ami] }))).Images![0]!;
    expect(img.Name).toBe(`mentor-app-candidate-${runId}`);
    expect(img.State).toBe('available');
    const tags = Object.fromEntries((img.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ [TAG.assetId]: runId, 'stagebot:image': 'mentor-app', 'stagebot:image-channel': 'candidate' });
    const snapshotIds = (img.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.SnapshotId ? [m.Ebs.SnapshotId] : []));
    expect(snapshotIds.length).toBeGreaterThan(0);

    // The builder is terminated.
    const builder = doc.assets.find((a: any) => a.kind === 'instance').id;
    const state = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [builder] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;
    expect(state).toBe('terminated');

    // What the bake took, and the AWS calls it made (the report quotes them).
    logCalls('bake', runId, doc, recorded);

    const images = await w.stagebot(['images', 'mentor-app', '--output', 'json']);
    expect(images.code, images.stdout).toBe(0);
    const report = jsonOf(images);
    expect(report.rows).toEqual([expect.objectContaining({ image: 'mentor-app', region: EAST, channel: 'candidate', ami: candidate.ami, state: 'available', usedBy: [] })]);
    expect(report.rows[0].sizeGb).toBeGreaterThan(0);
  });

  it('the whole path: the candidate launched in stg1 (--ami=candidate), promoted to latest as a run (copies in both regions, tagged, shared, one manifest write), `images`, a second promotion deprecates the first; the daily sweep keeps every release and reports no drift until a manifest AMI is deregistered', async () => {
    const manifestPath = join(w.dir, 'images', 'manifest.json');
    const first = JSON.parse(readFileSync(manifestPath, 'utf8')).images['mentor-app'][EAST].candidate;

    // The candidate, launched where it was baked (stg1 is in us-east-1), through the real sshd and tests.
    // stg1 stays on image:mentor-app@latest for the rest of the file: the IAM check at the end simulates
    // every call against the policy of the configuration that made them (an image-ref'd environment may
    // launch any AMI of ours in its region).
    w.writeConfig((data) => (data.environments.stg1.ami = 'image:mentor-app@latest'));
    const launched = await w.stagebot(['launch', 'stg1', '--ami=candidate', '--browsers=chrome', '--output', 'json']);
    expect(launched.code, launched.stderr).toBe(0);
    const run = jsonOf(launched);
    expect(run.state).toBe('succeeded');
    const [instanceId] = launchedInstances(w.proxy.log, run.runId);
    const launchedFrom = (await w.ec2(EAST).send(new DescribeInstancesCommand({ InstanceIds: [instanceId!] }))).Reservations![0]!.Instances![0]!.ImageId;
    expect(launchedFrom).toBe(first.ami);
    await expectNothingLeft(w, run.runId);

    // The promotion: a run of kind promote, followed in the foreground with progress per region.
    const recordedBefore = (await w.moto.recording()).length;
    const res = await w.stagebot(['promote', 'mentor-app', 'candidate', '--to=latest', '--output', 'json']);
    expect(res.code, res.stderr + res.stdout).toBe(0);
    const doc = jsonOf(res);
    expect(doc).toMatchObject({ state: 'succeeded', env: 'image:mentor-app', error: null });
    const runId: string = doc.runId;
    expect(runId).toMatch(/^promote-mentor-app-\d{8}-[0-9a-f]{6}$/);
    // Nothing was latest before: nothing to deprecate.
    expect(stepStates(doc)).toEqual({ 'copy-image': 'succeeded', share: 'succeeded', publish: 'succeeded', deprecate: 'skipped', teardown: 'succeeded' });
    for (const region of [EAST, WEST]) expect(res.stderr).toMatch(new RegExp(`${region}: CopyImage ${first.ami} -> ami-`));
    expect(res.stderr).toMatch(/us-east-1: ami-[0-9a-f]+ available/);
    // The copies are the release: the run's live assets, one image and its snapshot per region.
    expect(doc.assets.filter((a: any) => a.deletedAt === null).map((a: any) => `${a.kind} ${a.region}`).sort()).toEqual([`image ${WEST}`, `image ${EAST}`, `snapshot ${WEST}`, `snapshot ${EAST}`].sort());
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    for (const region of [EAST, WEST]) {
      const latest = manifest.images['mentor-app'][region].latest;
      expect(latest).toMatchObject({ bakeRun: first.bakeRun, ami: doc.assets.find((a: any) => a.kind === 'image' && a.region === region).id });
      const img = (await w.ec2(region).send(new DescribeImagesCommand({ ImageIds: [latest.ami] }))).Images![0]!;
      expect(img.Name).toBe(`mentor-app-${first.bakeRun}`);
      expect(Object.fromEntries((img.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ [TAG.assetId]: runId, 'stagebot:image-channel': 'latest', [TAG.managedBy]: 'emu-staging' });
      const perms = await w.ec2(region).send(new DescribeImageAttributeCommand({ ImageId: latest.ami, Attribute: 'launchPermission' }));
      expect(perms.LaunchPermissions?.map((p) => p.UserId)).toEqual(['210987654321']);
    }
    const promotion = (await w.moto.recording()).slice(recordedBefore);
    expect(untaggedCreations(promotion)).toEqual([]);
    expect(creationsOf(promotion, runId)).toEqual({ CopyImage: 2 });
    logCalls('promotion', runId, doc, promotion);

    // images: both regions' latest, used by stg1 and stg3 (which launch image:mentor-app@latest), no drift.
    w.writeConfig((data) => (data.environments.stg3.ami = 'image:mentor-app@latest'));
    try {
      const images = jsonOf(await w.stagebot(['images', '--output', 'json']));
      expect(images.rows.filter((r: any) => r.channel === 'latest').map((r: any) => [r.region, r.state, r.usedBy])).toEqual([[EAST, 'available', ['stg1']], [WEST, 'available', ['stg3']]]);
      expect(images.drift).toEqual([]);

      // A second bake promoted to latest: the first latest is deprecated after images.mentor-app.deprecateAfter.
      const second = jsonOf(await w.stagebot(['bake', 'mentor-app', '--output', 'json']));
      expect(second.state).toBe('succeeded');
      const again = await w.stagebot(['promote', 'mentor-app', '--to=latest', '--output', 'json']);
      expect(again.code, again.stderr + again.stdout).toBe(0);
      expect(stepStates(jsonOf(again))).toMatchObject({ publish: 'succeeded', deprecate: 'succeeded' });
      const now = JSON.parse(readFileSync(manifestPath, 'utf8')).images['mentor-app'];
      for (const region of [EAST, WEST]) {
        const replaced = manifest.images['mentor-app'][region].latest.ami;
        expect(now[region].latest.ami).not.toBe(replaced);
        expect(now[region].latest.bakeRun).toBe(second.runId);
        const old = (await w.ec2(region).send(new DescribeImagesCommand({ ImageIds: [replaced] }))).Images![0]!;
        const due = Date.parse(old.DeprecationTime!);
        expect(due - Date.now()).toBeGreaterThan(29 * 86_400_000);
        expect(due - Date.now()).toBeLessThan(31 * 86_400_000);
      }

      // The daily sweep, judging AMIs as young as a second and keeping one per group: every AMI the
      // manifest names now or named before (the replaced release) is kept, and the drift report is clean.
      w.writeConfig((data) => (data.sweeper = { ...(data.sweeper ?? {}), amiMinAge: '1s', amiKeepNewest: 1 }));
      const named = [EAST, WEST].flatMap((r) => [manifest.images['mentor-app'][r].latest.ami, now[r].latest.ami]);
      const clean = await w.stagebot(['sweep', '--output', 'json']);
      const sweep = jsonOf(clean);
      expect(sweep.drift, clean.stderr).toEqual([]);
      expect(sweep.orphans.map((o: any) => o.id).filter((id: string) => named.includes(id))).toEqual([]);

      // Broken by hand: the west's latest deregistered behind stagebot's back. The next sweep says so.
      await w.ec2(WEST).send(new DeregisterImageCommand({ ImageId: now[WEST].latest.ami }));
      const broken = jsonOf(await w.stagebot(['sweep', '--output', 'json']));
      expect(broken.drift.map((d: any) => d.problem)).toContain(`mentor-app@latest ${now[WEST].latest.ami} does not exist in ${WEST} (deregistered, or not shared with this account)`);
    } finally {
      w.writeConfig((data) => {
        data.environments.stg3.ami = w.envs.stg3.ami;
        delete data.sweeper;
      });
    }
  });

  it('a bake whose recipe fails: failed at bake-recipe, nothing left — no builder, key pair, SSH rule or image', async () => {
    writeFileSync(join(w.dir, 'flags', 'bake.fail'), '');
    const before = JSON.parse(readFileSync(join(w.dir, 'images', 'manifest.json'), 'utf8'));
    const res = await w.stagebot(['bake', 'mentor-app', '--output', 'json']);
    rmSync(join(w.dir, 'flags', 'bake.fail'), { force: true });
    expect(res.code).toBe(1);
    const doc = jsonOf(res);
    expect(doc.state).toBe('failed');
    expect(stepStates(doc)).toMatchObject({ 'bake-recipe': 'failed', teardown: 'succeeded' });
    expect(doc.assets.filter((a: any) => a.deletedAt === null)).toEqual([]);
    await expectNothingLeft(w, doc.runId);
    const ours = await w.ec2(EAST).send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${TAG.assetId}`, Values: [doc.runId] }] }));
    expect(ours.Images ?? []).toEqual([]);
    const snaps = await w.ec2(EAST).send(new DescribeSnapshotsCommand({ OwnerIds: ['self'], Filters: [{ Name: `tag:${TAG.assetId}`, Values: [doc.runId] }] }));
    expect(snaps.Snapshots ?? []).toEqual([]);
    // The manifest is as it was.
    expect(JSON.parse(readFileSync(join(w.dir, 'images', 'manifest.json'), 'utf8'))).toEqual(before);
  });

  it('a bake killed with SIGKILL mid-recipe: the next command adopts it and tears it down, nothing left', async () => {
    const block = join(w.dir, 'flags', 'bake.block');
    writeFileSync(block, '');
    const bake = w.spawnStagebot(['bake', 'mentor-app']);
    try {
      const runId = await waitFor('the bake run id in the progress', () => /\b(bake-mentor-app-\d{8}-[0-9a-f]{6})\b/.exec(bake.stderr())?.[1]);
      await waitFor('the bake recipe waiting on the host', () => processesMatching(`\\[ -e ${block.replace(/[.[\]]/g, '\\$&')} \\]`).length > 0);
      bake.child.kill('SIGKILL');
      await bake.exited;
      rmSync(block, { force: true });
      // Past the lease (runs.leaseTtl 4s): `status` finds the dead process's run and tears it down here.
      await new Promise((r) => setTimeout(r, 5_000));
      const status = await w.stagebot(['status', runId, '--output', 'json']);
      expect(status.code, status.stderr).toBe(0);
      expect(status.stderr).toMatch(new RegExp(runId));
      const after = jsonOf(await w.stagebot(['status', runId, '--output', 'json']));
      expect(findRun(after, runId)?.state).toBe('failed');
      await expectNothingLeft(w, runId);
      const ours = await w.ec2(EAST).send(new DescribeImagesCommand({ Owners: ['self'], Filters: [{ Name: `tag:${TAG.assetId}`, Values: [runId] }] }));
      expect(ours.Images ?? []).toEqual([]);
    } finally {
      bake.child.kill('SIGKILL');
      rmSync(block, { force: true });
    }
  });

  it('bake --dry-run creates nothing and checks the builder with DryRun calls', async () => {
    const recordedBefore = (await w.moto.recording()).length;
    const res = await w.stagebot(['bake', 'mentor-app', '--dry-run', '--output', 'json']);
    expect(res.code, res.stdout).toBe(0);
    const doc = jsonOf(res);
    expect(doc.checks.map((c: any) => c.check)).toEqual(expect.arrayContaining(['base', 'ami', 'open-ssh', 'key-pair', 'create-image']));
    const after = (await w.moto.recording()).slice(recordedBefore).filter((r) => r.accessKey === STAGEBOT_KEY && !r.action.startsWith('Describe') && r.action !== 'GetCallerIdentity');
    expect(after.every((r) => r.params.DryRun === 'true'), JSON.stringify(after.map((r) => r.action))).toBe(true);
  });

  it('every AWS call of the lifecycle above (bakes, promotions, images, the dry run) is allowed by the generated IAM policy', async () => {
    const verdict = await expectAllowedByPolicy(w);
    expect(verdict.calls).toBeGreaterThan(50);
  });
});
