// The orphan rules (design.md section 4), as pure functions of an asset, the runs the store knows and
// the configuration. Anything without our managed-by tag, or with the protect tag, is never an orphan;
// neither is what the configuration names (a configured AMI — its snapshots are not even listed, see
// src/aws/kinds/snapshot.ts — or an environment's shared key pair: deleting it locks everyone out of that
// environment). Each kind says which rule judges it and how the configuration names it (src/aws/kinds).

import { descriptorOf } from '../aws/kinds/index.ts';
import { TAG, isProtected, parseTagTime, sanitizeTagValue, type ProtectTag } from '../aws/tags.ts';
import { isFinished, type Run } from '../domain/run.ts';
import type { PoolMember } from '../domain/pool.ts';
import type { FoundAsset, Verdict } from './types.ts';

export interface RuleContext {
  now: Date;
  installation: string;
  protectTag: ProtectTag;
  /** A run whose lease heartbeat is younger than this has a live driver. */
  leaseTtlMs: number;
  /** Engines whose own heartbeat is live (the store's replicas): a run of theirs is not abandoned. */
  liveOwners: ReadonlySet<string>;
  /** Runs by id; null when the store does not know the id. Every asset's run must be present. */
  runs: ReadonlyMap<string, Run | null>;
  /** What the configuration names, as `configuredRef(kind, ref)` (AMIs by id, key pairs by region and name). */
  configured: ReadonlySet<string>;
  amiMinAgeMs: number;
  /** AMIs kept for being among the newest `amiKeep(env, channel).count` of their environment. */
  newestAmis: ReadonlySet<string>;
  /** How many AMIs of an environment (an image's channel) are kept, and the setting that says so. */
  amiKeep: (env: string, channel: string | null) => AmiKeep;
  /** How long test artifacts are kept (`artifacts.retention`). */
  artifactRetentionMs: number;
  /** The warm pools: their members by id (their assets' asset-id), and the environments that have a pool. Absent: no pool is known. */
  pool?: PoolContext;
}

export interface PoolContext {
  members: ReadonlyMap<string, PoolMember>;
  envsWithPool: ReadonlySet<string>;
}

/**
 * A warm pool member's assets (asset-id = the member's id, the replenish run's): never orphans while
 * the pool wants them (ready, or preparing under a live replenish, in an environment that still has a
 * pool); a claimed member's are its launch's; evicted, unwanted or unknown ones are orphans, and say why.
 * Null: not a pool member's, the run rule judges it.
 */
function poolVerdict(runId: string | null, tags: Readonly<Record<string, string>>, ctx: RuleContext): RunVerdict | null {
  if (runId === null) return null;
  const member = ctx.pool?.members.get(runId);
  const taggedPool = tags[TAG.pool];
  if (!member) {
    if (!taggedPool) return null;
    // Its replenish run may still be going (the member row is written first, so this is rare).
    const run = runVerdict(runId, tags, ctx, false);
    return run.orphan ? { ...run, reason: `pool member ${runId} of ${taggedPool} is not in the store's pool (evicted and forgotten, or lost); ${run.reason}` } : run;
  }
  const wanted = ctx.pool!.envsWithPool.has(member.env);
  switch (member.state) {
    case 'ready':
      return wanted
        ? { orphan: false, why: `warm pool member of ${member.env}, ready since ${member.builtAt?.toISOString() ?? 'unknown'}` }
        : { orphan: true, reason: `pool member ${member.id} of ${member.env}, which has no warmPool any more`, since: ctx.now };
    case 'preparing':
      if (!wanted) return { orphan: true, reason: `pool member ${member.id} of ${member.env} (preparing), which has no warmPool any more`, since: ctx.now };
      // Its replenish run owns it until it is ready.
      return null;
    case 'evicting':
      return { orphan: true, reason: `pool member ${member.id} of ${member.env} was evicted: ${member.evictReason ?? 'no reason recorded'}`, since: ctx.now };
    case 'claimed': {
      if (!member.claimedBy) return null;
      const run = runVerdict(member.claimedBy, tags, ctx, false);
      return run.orphan ? { ...run, reason: `pool member ${member.id} was claimed by ${member.claimedBy}: ${run.reason}` } : run;
    }
  }
}

/** True when the asset carries this installation's managed-by tag. */
export function isOurs(tags: Readonly<Record<string, string>>, installation: string): boolean {
  return tags[TAG.managedBy] === sanitizeTagValue(installation);
}

/** The key of something the configuration names, in `RuleContext.configured`. */
export function configuredRef(kind: string, ref: string): string {
  return `${kind} ${ref}`;
}

/** `3 days ago`, `5 hours ago`, `just now`. */
export function ago(ms: number): string {
  return `${span(ms)} ago`;
}

/** `3 days`, `5 hours`, `12 minutes`. */
export function span(ms: number): string {
  const units: [number, string][] = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute']];
  for (const [size, name] of units) {
    const n = Math.floor(ms / size);
    if (n >= 1) return `${n} ${name}${n === 1 ? '' : 's'}`;
  }
  return 'less than a minute';
}

/**
 * A run nothing has driven for this many lease TTLs (and at least LONG_DEAD_MIN_MS), whose owner is not
 * alive either, is as good as finished: a replica would have adopted it long since (adoption takes one
 * TTL), so none is coming. The floor covers a lone server's restart (an image pull, a slow start).
 */
export const LONG_DEAD_LEASES = 5;
export const LONG_DEAD_MIN_MS = 10 * 60_000;

function leaseLive(run: Run, ctx: RuleContext): boolean {
  return run.leaseOwner !== null && run.leaseHeartbeatAt !== null && ctx.now.getTime() - run.leaseHeartbeatAt.getTime() < ctx.leaseTtlMs;
}

/** `since` null: an orphan for as long as the asset exists (no run, or one the store does not know). */
type RunVerdict = { orphan: true; reason: string; since: Date | null } | { orphan: false; why: string };

/** Whether the run behind an asset still needs it. */
export function runVerdict(runId: string | null, tags: Readonly<Record<string, string>>, ctx: RuleContext, pool = true): RunVerdict {
  const member = pool ? poolVerdict(runId, tags, ctx) : null;
  if (member) return member;
  const now = ctx.now.getTime();
  const expiresAt = parseTagTime(tags[TAG.expiresAt]);
  if (runId === null) return { orphan: true, reason: 'carries our managed-by tag but no asset-id (no run to tie it to)', since: null };
  const run = ctx.runs.get(runId);
  if (run === undefined) throw new Error(`rules: run ${runId} was not loaded`);
  if (run === null) return { orphan: true, reason: `run ${runId} is unknown to the store`, since: null };
  if (isFinished(run.state)) {
    const at = run.finishedAt ?? run.createdAt;
    return { orphan: true, reason: `run ${runId} ${run.state} ${ago(now - at.getTime())}`, since: at };
  }
  if (run.state === 'kept') {
    if (run.expiresAt === null || run.expiresAt.getTime() > now) return { orphan: false, why: `run ${runId} is kept${run.expiresAt ? ` until ${run.expiresAt.toISOString()}` : ''}` };
    return { orphan: true, reason: `run ${runId} was kept and its time ran out ${ago(now - run.expiresAt.getTime())}`, since: run.expiresAt };
  }
  // queued / running / tearing_down: a live driver finishes the job itself, whatever the tag says.
  if (leaseLive(run, ctx)) return { orphan: false, why: `run ${runId} is ${run.state}` };
  if (expiresAt !== null && expiresAt.getTime() <= now) {
    return { orphan: true, reason: `run ${runId} is ${run.state} with no live driver and its assets expired ${ago(now - expiresAt.getTime())}`, since: expiresAt };
  }
  const lastDriven = (run.leaseHeartbeatAt ?? run.startedAt ?? run.createdAt).getTime();
  const deadSince = lastDriven + Math.max(LONG_DEAD_LEASES * ctx.leaseTtlMs, LONG_DEAD_MIN_MS);
  if (deadSince <= now && !(run.leaseOwner !== null && ctx.liveOwners.has(run.leaseOwner))) {
    return {
      orphan: true,
      reason: `run ${runId} is ${run.state} but nothing has driven it for ${span(now - lastDriven)} (its process died and no replica took it over)`,
      since: new Date(deadSince),
    };
  }
  // Its driver died moments ago; another replica adopts and tears it down. Not ours to race.
  return { orphan: false, why: `run ${runId} is ${run.state} and waits to be adopted` };
}

/** A retention count and the setting it comes from (`sweeper.amiKeepNewest`, `images.<image>.keepCandidates`). */
export interface AmiKeep {
  count: number;
  setting: string;
}

function amiVerdict(a: FoundAsset, ctx: RuleContext): Verdict {
  if (a.extra.state === 'pending') return { orphan: false, why: 'AMI still being created' };
  const env = a.tags[TAG.env] || null;
  const keep = ctx.amiKeep(a.tags[TAG.env] ?? '', a.tags[IMAGE_CHANNEL_TAG] ?? null);
  const newest = `${keep.count} newest ${a.tags[IMAGE_CHANNEL_TAG] === 'candidate' ? 'candidates' : 'AMIs'} of ${env ?? 'its environment'} (${keep.setting})`;
  if (ctx.newestAmis.has(a.id)) return { orphan: false, why: `one of the ${newest}` };
  const created = a.createdAt?.getTime() ?? ctx.now.getTime();
  const age = ctx.now.getTime() - created;
  if (age < ctx.amiMinAgeMs) return { orphan: false, why: `AMI younger than ${span(ctx.amiMinAgeMs)}` };
  return {
    orphan: true,
    reason: `AMI of ${env ?? 'no environment'} made ${ago(age)}, not configured and not among the ${newest}; its snapshots go with it`,
    since: new Date(created + ctx.amiMinAgeMs),
  };
}

/** Test artifacts: kept for the retention period after their newest file, whatever their run did. */
function retentionVerdict(a: FoundAsset, ctx: RuleContext): Verdict {
  const kept = a.createdAt?.getTime() ?? ctx.now.getTime();
  const until = kept + ctx.artifactRetentionMs;
  if (until > ctx.now.getTime()) return { orphan: false, why: `kept until ${new Date(until).toISOString()} (retention ${span(ctx.artifactRetentionMs)})` };
  return { orphan: true, reason: `kept ${ago(ctx.now.getTime() - kept)}, retention is ${span(ctx.artifactRetentionMs)}; ${descriptorOf(a.kind).leftBehind(a)}`, since: new Date(until) };
}

export function classify(a: FoundAsset, ctx: RuleContext): Verdict {
  const kind = descriptorOf(a.kind);
  if (kind.rule === 'target') {
    const state = a.extra.state ?? 'unknown';
    if (state !== 'terminated' && state !== 'unknown') return { orphan: false, why: `its instance is ${state}` };
    const gone = state === 'terminated' ? 'was terminated' : 'no longer exists';
    return { orphan: true, reason: `load-balancer target ${a.extra.instanceId ?? ''} in ${a.extra.env ?? 'a configured'} target group: its instance ${gone}`, since: a.createdAt ?? ctx.now };
  }
  if (!isOurs(a.tags, ctx.installation)) return { orphan: false, why: 'not managed by this installation' };
  if (isProtected(a.tags, ctx.protectTag)) return { orphan: false, why: `protected by ${ctx.protectTag.key}=${ctx.protectTag.value}` };
  if (kind.configured && ctx.configured.has(configuredRef(a.kind, kind.configured.of(a)))) {
    return { orphan: false, why: `${kind.singular} configured for an environment` };
  }
  if (kind.rule === 'image') return amiVerdict(a, ctx);
  if (kind.rule === 'retention') return retentionVerdict(a, ctx);
  const run = runVerdict(a.tags[TAG.assetId] || null, a.tags, ctx);
  if (!run.orphan) return run;
  // An asset is not an orphan before it existed: its age starts at the later of the two.
  const since = run.since === null ? (a.createdAt ?? ctx.now) : a.createdAt && a.createdAt > run.since ? a.createdAt : run.since;
  return { orphan: true, reason: `${run.reason}; ${kind.leftBehind(a)}`, since };
}

/**
 * The AMIs kept for being among the newest `keep` of their environment (`stagebot:env`; untagged ones
 * form one group). A bake's images group by image and channel (`stagebot:image-channel`), so that
 * `keep` may give an image's candidates their own number (images.<image>.keepCandidates).
 */
export function newestAmis(images: readonly FoundAsset[], installation: string, keep: number | ((env: string, channel: string | null) => AmiKeep)): Set<string> {
  const groups = new Map<string, { env: string; channel: string | null; list: FoundAsset[] }>();
  for (const img of images) {
    if (descriptorOf(img.kind).rule !== 'image' || !isOurs(img.tags, installation)) continue;
    const env = img.tags[TAG.env] ?? '';
    const channel = img.tags[IMAGE_CHANNEL_TAG] ?? null;
    const key = `${env}|${channel ?? ''}`;
    const group = groups.get(key) ?? { env, channel, list: [] };
    group.list.push(img);
    groups.set(key, group);
  }
  const out = new Set<string>();
  for (const { env, channel, list } of groups.values()) {
    list.sort((x, y) => (y.createdAt?.getTime() ?? 0) - (x.createdAt?.getTime() ?? 0) || x.id.localeCompare(y.id));
    const n = typeof keep === 'number' ? keep : keep(env, channel).count;
    for (const img of list.slice(0, Math.max(0, n))) out.add(img.id);
  }
  return out;
}

/** The channel tag a bake (candidate) or a promotion (latest, stable) puts on its images. */
export const IMAGE_CHANNEL_TAG = 'stagebot:image-channel';
