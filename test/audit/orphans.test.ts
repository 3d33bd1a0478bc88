// Which assets the sweeper calls orphans, why, and what they cost; and the decoys it must never touch.
import { GetResourcesCommand } from '@aws-sdk/client-resource-groups-tagging-api';
import { beforeEach, describe, expect, test } from 'vitest';
import { createPrices } from '../../src/cost/prices.ts';
import { HOURS_PER_MONTH } from '../../src/cost/price-table.ts';
import type { SweepReport } from '../../src/audit/index.ts';
import { TAG } from '../../src/aws/tags.ts';
import { DAY, ENVS, HOUR, INSTALLATION, World, makeConfig } from './support/world.ts';

const FAILED = 'stg4-20261118-a1b2c3';
const UNKNOWN = 'stg4-20261117-0000aa';
const LIVE = 'stg4-20261121-11aa22';
const STALE = 'stg4-20261121-33bb44';
const JUST_DIED = 'stg4-20261121-99ee00';
const KEPT = 'stg1-20261121-55cc66';
const KEPT_OUT = 'stg4-20261120-77dd88';

let w: World;
const ids: Record<string, string> = {};

function orphan(report: SweepReport, id: string) {
  return report.orphans.find((o) => o.id === id);
}

beforeEach(async () => {
  w = await World.create();
  const now = w.now.getTime();
  await w.run(FAILED, 'failed', { finishedAgoMs: 3 * DAY });
  await w.run(LIVE, 'running', { leaseAgoMs: 10_000 });
  await w.run(STALE, 'running', { leaseAgoMs: HOUR });
  await w.run(JUST_DIED, 'running', { leaseAgoMs: 3 * 60_000 });
  await w.run(KEPT, 'kept', { expiresAt: new Date(now + 2 * HOUR), leaseAgoMs: HOUR });
  await w.run(KEPT_OUT, 'kept', { expiresAt: new Date(now - HOUR) });

  ids.instance = w.instance(FAILED);
  ids.volume = w.volume(FAILED);
  ids.rule = w.rule(FAILED);
  ids.keyPair = w.keyPair(FAILED);
  ids.snapshot = w.snapshot(FAILED);
  ids.unknown = w.instance(UNKNOWN, { env: 'stg1' });
  ids.stale = w.instance(STALE, { expiresAt: new Date(now - 2 * HOUR) });
  ids.keptOut = w.instance(KEPT_OUT);
  ids.ami30 = w.ami('stg4', 30).imageId;
  ids.ami25 = w.ami('stg4', 25).imageId;
  ids.ami20 = w.ami('stg4', 20).imageId;
  ids.ami3 = w.ami('stg4', 3).imageId;

  // Decoys.
  ids.live = w.instance(LIVE, { expiresAt: new Date(now - HOUR) });
  ids.staleFresh = w.instance(STALE, { region: 'us-east-1' });
  ids.justDied = w.instance(JUST_DIED, { region: 'us-east-1' });
  ids.kept = w.instance(KEPT, { env: 'stg1' });
  ids.untagged = w.cloud.addInstance({ region: ENVS.stg4.region, instanceType: 't3.2xlarge' });
  ids.otherInstallation = w.instance(FAILED, { installation: 'other-staging' });
  ids.protected = w.instance(FAILED, { extraTags: { 'stagebot:keep': 'true' } });
  ids.otherRule = w.cloud.addSecurityGroupRule({ region: ENVS.stg4.region, groupId: w.groups.get(ENVS.stg4.region) ?? '', cidr: '198.51.100.7/32' });
  ids.otherVolume = w.cloud.addVolume({ region: ENVS.stg4.region, sizeGb: 500, tags: { team: 'data' } });

  // ALB targets: one at a terminated instance, one at an instance that never existed here, one live.
  const gone = w.instance(FAILED, { state: 'terminated', createdAt: new Date(now - 10 * 60_000) });
  ids.terminatedTarget = `${ENVS.stg4.tg}|${gone}`;
  w.cloud.registerTarget(ENVS.stg4.tg, gone);
  w.cloud.registerTarget(ENVS.stg4.tg, 'i-0000000000000dead');
  ids.unknownTarget = `${ENVS.stg4.tg}|i-0000000000000dead`;
  w.cloud.registerTarget(ENVS.stg4.tg, ids.live);
  ids.terminated = gone;
});

describe('orphans', () => {
  test('each kind and each reason is found, with a one-line reason', async () => {
    const r = await w.sweep();
    expect(r.errors).toEqual([]);
    const reasons: [string, RegExp][] = [
      [ids.instance!, new RegExp(`^run ${FAILED} failed 3 days ago; instance still running$`)],
      [ids.volume!, /failed 3 days ago; volume left behind$/],
      [ids.rule!, /failed 3 days ago; security-group rule still open$/],
      [ids.keyPair!, /failed 3 days ago; key pair still exists$/],
      [ids.snapshot!, /failed 3 days ago; snapshot used by no AMI$/],
      [ids.unknown!, new RegExp(`run ${UNKNOWN} is unknown to the store; instance still running`)],
      [ids.stale!, /is running with no live driver and its assets expired 2 hours ago/],
      // Nothing drove it for an hour (5 lease TTLs, at least 10 minutes): no replica is coming; an orphan before its expiry.
      [ids.staleFresh!, new RegExp(`^run ${STALE} is running but nothing has driven it for 1 hour \\(its process died and no replica took it over\\); instance still running$`)],
      [ids.keptOut!, /was kept and its time ran out 1 hour ago/],
      [ids.ami30!, /^AMI of stg4 made 30 days ago, not configured and not among the 2 newest AMIs of stg4 \(sweeper.amiKeepNewest\)/],
      [ids.ami25!, /^AMI of stg4 made 25 days ago/],
      [ids.terminatedTarget!, /its instance was terminated/],
      [ids.unknownTarget!, /its instance no longer exists/],
    ];
    for (const [id, reason] of reasons) expect(orphan(r, id)?.reason, id).toMatch(reason);
    expect(r.orphans).toHaveLength(reasons.length);
    expect(Object.fromEntries(Object.entries(r.totalsByKind).map(([k, t]) => [k, t.count]))).toEqual({
      instance: 5, volume: 1, 'security-group-rule': 1, 'key-pair': 1, snapshot: 1, image: 2, target: 2,
    });
    expect(orphan(r, ids.unknown!)).toMatchObject({ region: 'us-east-1', env: 'stg1', runId: UNKNOWN, requester: 'slack:U123' });
  });

  test('decoys are never orphans: untagged, another installation, protected, configured AMI, live lease, kept within TTL, newest AMIs', async () => {
    const r = await w.sweep();
    const found = new Set(r.orphans.map((o) => o.id));
    for (const decoy of ['live', 'justDied', 'kept', 'untagged', 'otherInstallation', 'protected', 'otherRule', 'otherVolume', 'ami20', 'ami3']) {
      expect(found.has(ids[decoy]!), decoy).toBe(false);
    }
    expect([...found].some((id) => id === ENVS.stg4.ami || id === ENVS.stg1.ami)).toBe(false);
    // The configured AMIs' snapshots (tagged ours) and the orphan AMIs' snapshots are not orphans of their own.
    expect(r.orphans.filter((o) => o.kind === 'snapshot').map((o) => o.id)).toEqual([ids.snapshot]);
    expect(found.has(`${ENVS.stg4.tg}|${ids.live}`)).toBe(false);
  });

  test('a long-dead lease whose owner still beats (its own heartbeat) is not an orphan: that process may still act', async () => {
    await w.store.replicaHeartbeat('replica-a', 'server', w.now);
    const r = await w.sweep();
    expect(orphan(r, ids.staleFresh!)).toBeUndefined();
  });

  test('decoys survive a reap past the grace period; the orphans do not', async () => {
    await w.sweep();
    w.cloud.advance(DAY + 60_000);
    const r = await w.sweep({ mode: 'reap' });
    expect(r.errors).toEqual([]);
    expect(r.reaped).toHaveLength(13);
    for (const decoy of ['live', 'justDied', 'kept', 'untagged', 'otherInstallation', 'protected', 'otherRule', 'otherVolume', 'ami20', 'ami3']) {
      expect(w.alive(ids[decoy]!), decoy).toBe(true);
    }
    expect(w.alive(ENVS.stg4.ami) && w.alive(ENVS.stg1.ami)).toBe(true);
    for (const gone of ['instance', 'volume', 'rule', 'keyPair', 'snapshot', 'unknown', 'stale', 'staleFresh', 'keptOut', 'ami30', 'ami25']) {
      expect(w.alive(ids[gone]!), gone).toBe(false);
    }
    const targets = w.cloud.region(ENVS.stg4.region).targetGroups.get(ENVS.stg4.tg)?.targets;
    const phases = new Map([...(targets?.values() ?? [])].map((t) => [t.id, t.phase]));
    expect(phases.get(ids.terminated!)).toBe('draining');
    expect(phases.get('i-0000000000000dead')).toBe('draining');
    expect(phases.get(ids.live!)).toBe('healthy');
  });

  test('an orphan instance costs its instance-hours, public IPv4 and volumes since its run finished', async () => {
    const r = await w.sweep();
    const prices = createPrices();
    const region = ENVS.stg4.region;
    const hourly = (prices.instanceHourly(region, 't3.2xlarge') ?? NaN) + prices.publicIpv4Hourly() + (200 * (prices.ebsGbMonth(region, 'gp3') ?? NaN)) / HOURS_PER_MONTH;
    const o = orphan(r, ids.instance!);
    expect(o?.ageMs).toBe(3 * DAY);
    expect(o?.dailyUsd).toBeCloseTo(hourly * 24, 9);
    expect(o?.accruedUsd).toBeCloseTo(hourly * 72, 9);
    // An unknown run's asset has been an orphan since it was created (4 days ago).
    expect(orphan(r, ids.unknown!)?.ageMs).toBe(4 * DAY);
    const free = orphan(r, ids.rule!);
    expect([free?.dailyUsd, free?.accruedUsd]).toEqual([0, 0]);
    const snap = orphan(r, ids.snapshot!);
    expect(snap?.dailyUsd).toBeCloseTo((40 * (prices.snapshotGbMonth(region) ?? NaN) * 24) / HOURS_PER_MONTH, 9);
    expect(r.dailyCostUsd).toBeCloseTo(r.orphans.reduce((n, x) => n + (x.dailyUsd ?? 0), 0), 9);
  });

  test('an instance type without a price is listed as unpriced, not as free', async () => {
    w.instance(FAILED, { instanceType: 'x9.mega' });
    const r = await w.sweep();
    const o = r.orphans.find((x) => x.detail.startsWith('x9.mega'));
    expect(o?.dailyUsd).toBeNull();
    expect(r.unpriced.join('\n')).toMatch(/no price for x9\.mega in eu-west-1/);
  });

  test('a terminated instance the Tagging API still lists is not reported once Describe shows it gone', async () => {
    const tagged = await w.aws.tagging(ENVS.stg4.region).send(new GetResourcesCommand({ TagFilters: [{ Key: 'stagebot:managed-by', Values: [INSTALLATION] }] }));
    expect(tagged.ResourceTagMappingList?.some((m) => m.ResourceARN?.endsWith(`instance/${ids.terminated}`))).toBe(true);
    const r = await w.sweep();
    expect(orphan(r, ids.terminated!)).toBeUndefined();
    expect(r.orphans.filter((o) => o.kind === 'instance').map((o) => o.id)).not.toContain(ids.terminated);
  });

  test('a key pair named by an environment is never an orphan, whatever its tags, and survives reap sweeps', async () => {
    w.config = makeConfig({ environments: { stg1: { keyPair: 'staging-us' }, stg4: { keyPair: 'staging-eu' } } });
    // Tagged ours by hand, one without an asset-id and one with a finished run's, both already past a reap-after mark.
    const markedPast = new Date(w.now.getTime() - HOUR).toISOString();
    const bare = w.cloud.addKeyPair({ region: ENVS.stg1.region, keyName: 'staging-us', tags: { 'stagebot:managed-by': INSTALLATION, [TAG.reapAfter]: markedPast } }).keyPairId;
    const ofRun = w.cloud.addKeyPair({ region: ENVS.stg4.region, keyName: 'staging-eu', tags: { ...w.tags(FAILED), [TAG.reapAfter]: markedPast } }).keyPairId;

    const r = await w.sweep({ mode: 'reap' });
    expect(r.errors).toEqual([]);
    expect(orphan(r, bare)).toBeUndefined();
    expect(orphan(r, ofRun)).toBeUndefined();
    expect(r.reaped.map((x) => x.id)).not.toContain(bare);
    expect(r.reaped.map((x) => x.id)).not.toContain(ofRun);
    expect(w.alive(bare) && w.alive(ofRun)).toBe(true);
    // The stale mark is taken back rather than left to fire later.
    expect(w.cloud.tagsOf(bare)?.[TAG.reapAfter]).toBeUndefined();
    expect(w.cloud.tagsOf(ofRun)?.[TAG.reapAfter]).toBeUndefined();
    // The run's own (ephemeral) key pair is still an orphan.
    expect(orphan(r, ids.keyPair!)?.reason).toMatch(/failed 3 days ago; key pair still exists$/);

    w.cloud.advance(DAY + 60_000);
    const later = await w.sweep({ mode: 'reap' });
    expect(later.errors).toEqual([]);
    expect(w.alive(bare) && w.alive(ofRun)).toBe(true);
    expect(w.alive(ids.keyPair!)).toBe(false);
  });

  test('a configured AMI that is missing or unusable is drift, not an orphan', async () => {
    const config = makeConfig();
    const stg1 = config.environments['stg1'];
    if (!stg1) throw new Error('no stg1');
    stg1.ami = 'ami-0bad0bad0bad0bad0';
    w.config = config;
    const r = await w.sweep();
    expect(r.drift).toEqual([{ env: 'stg1', ami: 'ami-0bad0bad0bad0bad0', problem: expect.stringMatching(/does not exist/) }]);
    // The old stg1 AMI is no longer configured, but alone in its environment: one of its newest.
    expect(orphan(r, ENVS.stg1.ami)).toBeUndefined();
  });
});
