// The sweeper through the real CLI against moto, in two regions: orphans of every kind and every reason
// (left by real runs of the CLI and seeded as a crash would leave them), decoys of every kind it must
// never touch, a dry run that marks, a reap after the grace period, the per-sweep limit, the protect tag,
// the account allowlist; the AWS calls it reports are counted against what moto recorded.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TAG } from '../../src/aws/tags.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { launchedInstances } from './support/leftovers.ts';
import { PROTECT, Seeder, runTags } from './support/seed.ts';
import { expectAllowedByPolicy, jsonOf, startBlockedLaunch, waitFor } from './support/runs.ts';
import { describeWithMoto } from './support/suite.ts';
import type { AwsRequest } from './support/aws-wire.ts';
import { ACCOUNT, EAST, FIXED_KEY_PAIR, STAGEBOT_KEY, WEST, buildWorld, type EmuWorld, type EnvName } from './support/world.ts';

// Long enough that the two sweeps right after the marking end before it, even on a loaded machine.
const GRACE_MS = 15_000;
const UNKNOWN_RUN = 'stg3-20250101-dead01';

interface Asset {
  kind: string;
  region: string;
  id: string;
}

let w: EmuWorld;
let seed: Seeder;
/** A server's heartbeat in the world's store: the CLI then leaves the killed runs to it (issue 10.1), so they stay for the sweeper to judge. */
let serverStore: Store | undefined;
let serverBeat: NodeJS.Timeout | undefined;
/** Orphan id -> what it is and a pattern its reason must match. */
const orphans = new Map<string, Asset & { reason: RegExp }>();
const decoys: Asset[] = [];
let protectedVolume: Asset;
let keptRunTarget: string;
/** Where the sweeps' requests start in the proxy log (before: the runs that made some of the decoys). */
let sweepsFrom = 0;

const EC2_KINDS = new Set(['instance', 'volume', 'image', 'snapshot', 'security-group-rule', 'key-pair']);
const MUTATING = /^(Terminate|Delete|Deregister|Revoke|CreateTags|DeleteTags|RunInstances|Create|Authorize|Register)/;

function orphan(kind: string, region: string, id: string, reason: RegExp): void {
  orphans.set(id, { kind, region, id, reason });
}

/** A CLI launch killed with SIGKILL in the middle of service-update: its run stays `running`, with no driver. */
async function launchAndKill(env: EnvName): Promise<string> {
  const { runId, launch, unblock } = await startBlockedLaunch(w, env);
  launch.child.kill('SIGKILL');
  await launch.exited;
  unblock();
  return runId;
}

/** The sweep's reported calls are exactly the requests moto saw (STS's cached identity check aside), and no
 * more than the fewest its listings take, but for the extra Tagging API pages moto hands out (README). */
function expectCallsCounted(report: { awsCalls: number; minimumCalls: number }, recorded: AwsRequest[]): void {
  const counted = recorded.filter((r) => r.action !== 'GetCallerIdentity');
  expect(report.awsCalls).toBe(counted.length);
  const extraTaggingPages = counted.filter((r) => r.action === 'GetResources' && r.json?.PaginationToken).length;
  expect(report.awsCalls).toBe(report.minimumCalls + extraTaggingPages);
}

/** One sweep through the CLI; its report, and the AWS requests moto recorded during it. */
async function sweep(...args: string[]): Promise<{ code: number | null; report: any; recorded: Awaited<ReturnType<EmuWorld['moto']['recording']>>; log: typeof w.proxy.log }> {
  await w.moto.startRecording();
  const from = w.proxy.log.length;
  const res = await w.stagebot(['sweep', ...args, '--output', 'json']);
  const recorded = (await w.moto.recording()).filter((r) => r.accessKey === STAGEBOT_KEY);
  return { code: res.code, report: jsonOf(res), recorded, log: w.proxy.log.slice(from) };
}

const mutations = (log: typeof w.proxy.log) => log.filter((e) => e.request.accessKey === STAGEBOT_KEY && MUTATING.test(e.request.action));

describeWithMoto('the sweeper against moto, in two regions', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    w = await buildWorld({
      edit: (d) => {
        d.sweeper = { gracePeriod: `${GRACE_MS / 1000}s`, reapLimit: 25, protectTag: { key: PROTECT.Key, value: PROTECT.Value }, amiMinAge: '1s', amiKeepNewest: 1 };
      },
    });
    seed = new Seeder(w);
    serverStore = await openStore({ sqlitePath: join(w.dir, 'store', 'stagebot.db') });
    const beat = () => serverStore!.replicaHeartbeat('emulator-suite-server', 'server', new Date()).catch(() => undefined);
    await beat();
    serverBeat = setInterval(beat, 500);
    const { stg1, stg2, stg3, stg4 } = w.envs;

    // Runs of the real CLI: one finished, one kept whose time runs out, one kept for an hour (live),
    // one killed whose assets then expire, one killed whose assets have not (it waits to be adopted).
    const [finished, kept, live] = await Promise.all([
      w.stagebot(['launch', 'stg1', '--output', 'json']),
      w.stagebot(['launch', 'stg2', '--keep=5s', '--output', 'json']),
      w.stagebot(['launch', 'stg3', '--keep=1h', '--output', 'json']),
    ]);
    const finishedRun = jsonOf(finished).runId as string;
    const keptDoc = jsonOf(kept);
    const liveDoc = jsonOf(live);
    expect([jsonOf(finished).state, keptDoc.state, liveDoc.state]).toEqual(['succeeded', 'kept', 'kept']);
    const expiredRun = await launchAndKill('stg4');
    const waitingRun = await launchAndKill('stg1');
    // From here on, their leases lapse (runs.leaseTtl: 4 s): nobody drives them.
    const leasesLapse = Date.now() + 4_500;

    for (const a of keptDoc.assets as Asset[]) {
      if (a.kind === 'instance') orphan('instance', EAST, a.id, /was kept and its time ran out/);
      if (a.kind === 'security-group-rule') orphan(a.kind, EAST, a.id, /was kept and its time ran out .*; security-group rule still open/);
      if (a.kind === 'key-pair') orphan(a.kind, EAST, a.id, /was kept and its time ran out .*; key pair still exists/);
      if (a.kind === 'target') keptRunTarget = a.id;
    }
    for (const a of liveDoc.assets as Asset[]) if (a.kind !== 'volume') decoys.push({ kind: a.kind, region: WEST, id: a.id });
    // The killed runs' assets, as their tags say (the store of a killed process may not have them all).
    const expiredInstance = launchedInstances(w.proxy.log, expiredRun)[0]!;
    const expiredRule = w.proxy.log
      .filter((e) => e.request.action === 'AuthorizeSecurityGroupIngress' && e.request.params['TagSpecification.1.Tag.1.Value'] === expiredRun)
      .flatMap((e) => [...e.body.matchAll(/<securityGroupRuleId>(sgr-[0-9a-f]+)</g)].map((m) => m[1]!))[0]!;
    await seed.tag(WEST, [expiredInstance, expiredRule], [{ Key: TAG.expiresAt, Value: '2026-01-01T00:00:00Z' }]);
    orphan('instance', WEST, expiredInstance, new RegExp(`run ${expiredRun} is running with no live driver and its assets expired`));
    orphan('security-group-rule', WEST, expiredRule, /no live driver and its assets expired/);
    decoys.push({ kind: 'instance', region: EAST, id: launchedInstances(w.proxy.log, waitingRun)[0]! });

    // Left behind by crashes, tagged as stagebot tags.
    orphan('volume', EAST, await seed.volume(stg1, runTags(finishedRun, 'stg1')), new RegExp(`run ${finishedRun} succeeded .* ago; volume left behind`));
    orphan('volume', EAST, await seed.volume(stg2, runTags(null, 'stg2')), /no asset-id/);
    orphan('instance', WEST, await seed.instance(stg3, runTags(UNKNOWN_RUN, 'stg3')), /unknown to the store; instance still running/);
    orphan('volume', WEST, await seed.volume(stg3, runTags(UNKNOWN_RUN, 'stg3')), /unknown to the store; volume left behind/);
    orphan('key-pair', WEST, await seed.keyPair(stg3, `stagebot-${UNKNOWN_RUN}`, runTags(UNKNOWN_RUN, 'stg3')), /unknown to the store; key pair still exists/);
    orphan('security-group-rule', WEST, await seed.rule(stg3, '198.51.100.20/32', runTags(UNKNOWN_RUN, 'stg3')), /unknown to the store; security-group rule still open/);
    orphan('snapshot', EAST, await seed.snapshot(stg1, runTags(UNKNOWN_RUN, 'stg1')), /snapshot used by no AMI/);
    const oldImage = await seed.image(stg3, 'stg3-old', runTags('bake-stg3-20250101-000001', 'stg3'));
    orphan('image', WEST, oldImage.imageId, /AMI of stg3 made .* not configured and not among the 1 newest AMIs of stg3 \(sweeper.amiKeepNewest\)/);
    // AMI creation times have a resolution of one second: the newer one is newer.
    await new Promise((r) => setTimeout(r, 1_100));
    const newImage = await seed.image(stg3, 'stg3-new', runTags('bake-stg3-20250102-000002', 'stg3'));
    decoys.push({ kind: 'image', region: WEST, id: newImage.imageId }, { kind: 'snapshot', region: WEST, id: newImage.snapshotId });
    const goneBehindTarget = await seed.instance(stg4);
    await seed.registerTarget(stg4, goneBehindTarget);
    await seed.terminate(stg4, goneBehindTarget);
    orphan('target', WEST, `${stg4.targetGroupArn}|${goneBehindTarget}`, /load-balancer target .* in stg4 target group: its instance was terminated/);

    // Decoys of every kind: untagged, another installation's, protected, configured, in use.
    const untaggedImage = await seed.image(stg1, 'someone-elses');
    decoys.push(
      { kind: 'instance', region: EAST, id: await seed.instance(stg1) },
      { kind: 'volume', region: WEST, id: await seed.volume(stg3) },
      { kind: 'security-group-rule', region: EAST, id: await seed.rule(stg1, '198.51.100.30/32') },
      { kind: 'key-pair', region: EAST, id: await seed.keyPair(stg1, 'team-key') },
      { kind: 'image', region: EAST, id: untaggedImage.imageId },
      { kind: 'snapshot', region: EAST, id: untaggedImage.snapshotId },
      { kind: 'snapshot', region: WEST, id: await seed.snapshot(stg3) },
      { kind: 'instance', region: WEST, id: await seed.instance(stg3, runTags(UNKNOWN_RUN, 'stg3', { managedBy: 'other-staging' })) },
      { kind: 'volume', region: WEST, id: await seed.volume(stg4, runTags(UNKNOWN_RUN, 'stg4', { managedBy: 'other-staging' })) },
      { kind: 'instance', region: EAST, id: await seed.instance(stg2, [...runTags(UNKNOWN_RUN, 'stg2'), PROTECT]) },
      { kind: 'volume', region: WEST, id: await seed.volume(stg4, [...runTags(UNKNOWN_RUN, 'stg4'), PROTECT]) },
    );
    for (const e of [stg1, stg2, stg3, stg4]) decoys.push({ kind: 'image', region: e.region, id: e.ami }, { kind: 'snapshot', region: e.region, id: e.amiSnapshot });
    // The environments' fixed key pair, even tagged as ours, is configured: never an orphan.
    const fixedKey = await seed.keyPairId(WEST, FIXED_KEY_PAIR);
    await seed.tag(WEST, [fixedKey], runTags(UNKNOWN_RUN, 'stg4'));
    decoys.push({ kind: 'key-pair', region: WEST, id: fixedKey });
    const liveBehindTarget = await seed.instance(stg1);
    await seed.registerTarget(stg1, liveBehindTarget);
    decoys.push({ kind: 'target', region: EAST, id: `${stg1.targetGroupArn}|${liveBehindTarget}` });

    // The kept run's time runs out (5 s after it was kept); the killed runs' leases lapse.
    await waitFor('the kept run to expire', () => Date.now() > Math.max(Date.parse(keptDoc.keptUntil) + 200, leasesLapse), 30_000);
    const unknownVolume = [...orphans.values()].find((o) => o.kind === 'volume' && o.region === WEST)!;
    protectedVolume = unknownVolume;
    sweepsFrom = w.proxy.log.length;
  }, 120_000);

  afterAll(async () => {
    clearInterval(serverBeat);
    await serverStore?.close();
    await w?.close();
  });

  it('a dry run lists exactly the orphans, with their reasons, marks them, and counts its AWS calls as moto saw them', async () => {
    const { code, report, recorded, log } = await sweep('--dry-run');
    expect(code).toBe(0);
    expect(report.errors).toEqual([]);
    expect(report.regions).toEqual([WEST, EAST]);
    const found = new Map<string, any>((report.orphans as any[]).map((o) => [o.id, o]));
    expect([...found.keys()].sort()).toEqual([...orphans.keys()].sort());
    for (const o of orphans.values()) {
      expect(found.get(o.id), o.id).toMatchObject({ kind: o.kind, region: o.region, marked: true, due: false });
      expect(found.get(o.id).reason, `${o.kind} ${o.id}`).toMatch(o.reason);
    }
    for (const d of decoys) expect(found.has(d.id), `decoy ${d.kind} ${d.id}`).toBe(false);
    // Marking is the only write of a dry run: a reap-after tag on each EC2 orphan, nothing else.
    expect(report.marked).toBe(orphans.size);
    for (const o of orphans.values()) {
      if (EC2_KINDS.has(o.kind)) expect((await seed.tagsOf(o.region, o.id))[TAG.reapAfter], `${o.kind} ${o.id}`).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    expect(mutations(log).every((e) => e.request.action === 'CreateTags')).toBe(true);
    expectCallsCounted(report, recorded);
  });

  it('a reap before the grace period ends deletes nothing', async () => {
    const { code, report, log } = await sweep('--reap');
    expect(code).toBe(0);
    expect(report.dueCount).toBe(0);
    expect(report.reaped).toEqual([]);
    expect(mutations(log)).toEqual([]);
  });

  it('past the grace period, more due than the per-sweep limit: nothing is reaped and a person must confirm', async () => {
    const marks = await Promise.all([...orphans.values()].filter((o) => EC2_KINDS.has(o.kind)).map(async (o) => Date.parse((await seed.tagsOf(o.region, o.id))[TAG.reapAfter]!)));
    await waitFor('the grace period to end', () => Date.now() > Math.max(...marks) + 200, GRACE_MS + 30_000);
    w.writeConfig((d) => (d.sweeper.reapLimit = 3));
    try {
      const { report, log } = await sweep('--reap');
      expect(report.needsConfirmation).toBe(true);
      expect(report.dueCount).toBe(orphans.size);
      expect(report.reaped).toEqual([]);
      expect(mutations(log)).toEqual([]);
    } finally {
      w.writeConfig((d) => (d.sweeper.reapLimit = 25));
    }
  });

  it('credentials of an account outside the allowlist: nothing is listed, marked or reaped, it says why, exit 5', async () => {
    w.writeConfig((d) => (d.aws.accountAllowlist = ['999999999999']));
    try {
      const { code, report, log } = await sweep('--reap', '--confirm');
      expect(code).toBe(5);
      expect(report.reaped).toEqual([]);
      expect(report.complete).toBe(false);
      expect(report.accountRefused).toMatch(/^AWS account 123456789012 is not in aws.accountAllowlist/);
      expect(mutations(log)).toEqual([]);
      // Another account's assets are not ours to report: nothing was listed.
      expect(log.filter((e) => e.request.accessKey === STAGEBOT_KEY && e.request.action !== 'GetCallerIdentity')).toEqual([]);
    } finally {
      w.writeConfig((d) => (d.aws.accountAllowlist = [ACCOUNT]));
    }
  });

  it('reaps every due orphan after a fresh look (one protected between listing and deleting stays), leaves every decoy alone', async () => {
    // Someone protects a volume while the sweep runs: after its listing, before its re-check.
    const stop = w.proxy.before(async (r) => {
      const recheck = r.action === 'DescribeVolumes' && Object.entries(r.params).some(([k, v]) => /^Filter\.\d+\.Name$/.test(k) && v === 'volume-id');
      if (recheck && r.region === protectedVolume.region) await seed.tag(protectedVolume.region, [protectedVolume.id], [PROTECT]);
    });
    let swept;
    try {
      swept = await sweep('--reap');
    } finally {
      stop();
    }
    const { code, report, recorded } = swept;
    expect(code).toBe(0);
    const reaped = new Map<string, any>((report.reaped as any[]).map((r) => [r.id, r]));
    const expected = [...orphans.keys()].filter((id) => id !== protectedVolume.id).sort();
    expect([...reaped.keys()].sort()).toEqual(expected);
    expect(report.skipped).toEqual([expect.objectContaining({ id: protectedVolume.id, reason: expect.stringMatching(/no longer an orphan: protected by stagebot:keep=true/) })]);
    // No longer an orphan: its mark is taken back.
    expect((await seed.tagsOf(protectedVolume.region, protectedVolume.id))[TAG.reapAfter]).toBeUndefined();
    const oldImage = [...orphans.values()].find((o) => o.kind === 'image')!;
    expect(reaped.get(oldImage.id).with).toHaveLength(1);
    for (const o of orphans.values()) expect(await seed.exists(o.kind, o.region, o.id), `${o.kind} ${o.id}`).toBe(o.id === protectedVolume.id);
    expect(await seed.exists('snapshot', WEST, reaped.get(oldImage.id).with[0])).toBe(false);
    for (const d of decoys) expect(await seed.exists(d.kind, d.region, d.id), `decoy ${d.kind} ${d.id}`).toBe(true);
    expectCallsCounted(report, recorded);
  });

  it("the next sweep finds only what the reap itself left: the kept run's target, now pointing at a terminated instance", async () => {
    const { report } = await sweep('--dry-run');
    expect((report.orphans as any[]).map((o) => `${o.kind} ${o.id}`)).toEqual([`target ${keptRunTarget}`]);
  });

  it('no request of any sweep changed a decoy', () => {
    const touched = mutations(w.proxy.log.slice(sweepsFrom)).filter((e) => decoys.some((d) => Object.values(e.request.params).some((v) => d.id === v || d.id.endsWith(`|${v}`))));
    expect(touched.map((e) => `${e.request.action} ${JSON.stringify(e.request.params).slice(0, 200)}`)).toEqual([]);
  });

  it('every AWS call of the sweeps and runs is allowed by the generated IAM policy', async () => {
    await expectAllowedByPolicy(w);
  });
});
