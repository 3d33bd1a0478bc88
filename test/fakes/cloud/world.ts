// The fake cloud: one account, many regions (each a separate world), a controllable clock, injectable
// faults, and a log of every call and every resource creation. Commands reach it through real SDK
// clients (see mount.ts); tests seed and inspect it directly.

import { setTimeout as sleep } from 'node:timers/promises';
import type { AwsService } from '../../../src/aws/clients.ts';
import type { AssetKind } from '../../../src/domain/asset.ts';
import { TAG } from '../../../src/aws/tags.ts';
import { FakeClock } from './clock.ts';
import type { Ctx } from './context.ts';
import { DRY_RUN_CHECKS } from './dry-run.ts';
import { dryRunOk, unauthorized } from './errors.ts';
import { guestShutdown, settleInstances } from './ec2-instances.ts';
import { settleImages } from './ec2-image-copy.ts';
import { FaultBook, type FailOptions } from './faults.ts';
import { HANDLERS } from './handlers.ts';
import { RegionState, type InstanceState, type Resource, type Tags } from './model.ts';
import * as seed from './seed.ts';

export interface FakeCloudOptions {
  accountId?: string;
  /** Where fake time starts. Default: now. */
  start?: Date;
  /** A new instance shows `pending` in this many DescribeInstances calls (in its region), then `running`... */
  pendingDescribes?: number;
  /** ...or once this much fake time has passed, whichever comes first. */
  pendingMs?: number;
  shuttingDownDescribes?: number;
  shuttingDownMs?: number;
  /** Terminated instances stay visible in DescribeInstances this long (AWS: about an hour). */
  terminatedVisibleMs?: number;
  /** Deleted resources stay listed by the Tagging API this long. */
  taggingStaleMs?: number;
  /** Refuse tag values outside the character set every AWS service accepts (EC2 alone is laxer). */
  strictTagValues?: boolean;
  /** Real milliseconds every call takes (benchmarks). */
  latencyMs?: number;
  /** Public IP of the n-th instance launched, e.g. `() => '127.0.0.1'` to SSH into a local sshd. */
  publicIp?: (n: number) => string;
  /**
   * The primary network interface goes with its instance (AWS's DeleteOnTermination for the interface
   * RunInstances creates). false: it stays behind, detached (`available`), as after someone changed the
   * attachment, or as moto leaves it.
   */
  eniDeleteOnTermination?: boolean;
  /** How long (fake time) a CopyImage's AMI stays `pending`; 0: available at once. Default 2 minutes. */
  copyImageMs?: number;
}

type ResolvedOptions = Required<Omit<FakeCloudOptions, 'start' | 'latencyMs' | 'accountId'>>;

export interface CallRecord {
  service: AwsService;
  region: string;
  /** Without the `Command` suffix: `RunInstances`. */
  command: string;
  input: Record<string, unknown>;
  at: Date;
}

export interface CreationRecord {
  region: string;
  /** The EC2 resource type: instance, volume, network-interface, security-group-rule, key-pair. */
  resourceType: string;
  id: string;
  /** The tags the resource had the moment it was created. */
  tags: Record<string, string>;
}

export interface CapacityRule {
  region?: string;
  subnetId?: string;
  instanceType?: string;
  /** `Unsupported` (type not offered in that AZ) instead of InsufficientInstanceCapacity. */
  unsupported?: boolean;
}

export interface LiveAsset {
  kind: AssetKind;
  /** The AWS id; for a target `targetGroupArn|instanceId` (as in src/domain/asset.ts). */
  id: string;
  region: string;
}

export class FakeCloud {
  readonly accountId: string;
  readonly clock: FakeClock;
  readonly options: ResolvedOptions;
  readonly faults = new FaultBook();
  readonly calls: CallRecord[] = [];
  readonly creations: CreationRecord[] = [];
  /** The state CreateImage gives a new AMI (`failed`: AWS could not make it). */
  imageState: 'pending' | 'available' | 'failed' = 'available';
  /** How long a CopyImage's AMI is `pending` (fake time). */
  copyImageMs: number;
  /** Regions where a CopyImage's AMI ends `failed` instead of `available`. */
  readonly copyImageFails = new Set<string>();
  latencyMs: number;
  #regions = new Map<string, RegionState>();
  #capacity: CapacityRule[] = [];
  #publicIps = 0;

  constructor(opts: FakeCloudOptions = {}) {
    this.accountId = opts.accountId ?? '123456789012';
    this.clock = new FakeClock(opts.start);
    this.latencyMs = opts.latencyMs ?? 0;
    this.options = {
      pendingDescribes: opts.pendingDescribes ?? 1,
      pendingMs: opts.pendingMs ?? 30_000,
      shuttingDownDescribes: opts.shuttingDownDescribes ?? 1,
      shuttingDownMs: opts.shuttingDownMs ?? 60_000,
      terminatedVisibleMs: opts.terminatedVisibleMs ?? 3_600_000,
      taggingStaleMs: opts.taggingStaleMs ?? 3_600_000,
      strictTagValues: opts.strictTagValues ?? true,
      publicIp: opts.publicIp ?? ((n) => `198.51.${100 + (Math.floor(n / 250) % 100)}.${(n % 250) + 1}`),
      eniDeleteOnTermination: opts.eniDeleteOnTermination ?? true,
      copyImageMs: opts.copyImageMs ?? 120_000,
    };
    this.copyImageMs = this.options.copyImageMs;
  }

  /** The region's state, created (with its default VPC, subnet and security group) on first use. */
  region(name: string): RegionState {
    let r = this.#regions.get(name);
    if (!r) {
      r = new RegionState(name, this.clock.nowMs());
      this.#regions.set(name, r);
    }
    return r;
  }

  regions(): RegionState[] {
    return [...this.#regions.values()];
  }

  /** Runs one command as AWS would; what the mounted SDK clients call. */
  async dispatch(
    service: AwsService,
    regionName: string,
    command: string,
    rawInput: object | undefined,
    sent: { sdkClientToken?: string } = {},
  ): Promise<object> {
    const input = structuredClone((rawInput ?? {}) as Record<string, unknown>);
    this.calls.push({ service, region: regionName, command, input, at: this.clock.now() });
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const fault = this.faults.take({ service, region: regionName, command, input });
    if (fault) throw fault;
    const handler = HANDLERS[service][command];
    if (!handler) throw new Error(`FakeCloud: ${service} ${command} is not implemented`);
    const ctx = this.#ctx(regionName);
    settleInstances(ctx);
    settleImages(ctx);
    ctx.region.purge(ctx.now, Math.max(this.options.terminatedVisibleMs, this.options.taggingStaleMs));
    if (this.faults.isDenied(command, regionName)) throw unauthorized(command, service, this.accountId);
    if (service === 'ec2' && input.DryRun === true) {
      DRY_RUN_CHECKS[command]?.(ctx, input);
      throw dryRunOk();
    }
    const effective = sent.sdkClientToken && input.ClientToken === undefined ? { ...input, ClientToken: sent.sdkClientToken } : input;
    const output = handler(ctx, effective);
    const lost = this.faults.take({ service, region: regionName, command, input }, true);
    if (lost) throw lost;
    return output;
  }

  #ctx(regionName: string): Ctx {
    return { cloud: this, region: this.region(regionName), now: this.clock.nowMs() };
  }

  // ---- faults -------------------------------------------------------------------------------------

  /** The next `times` calls of `command` (`RunInstances`, or `*`) fail with `error`. */
  failNext(command: string, error: Error, opts?: FailOptions): void {
    this.faults.failNext(command, error, opts);
  }

  /** `command` fails with UnauthorizedOperation / AccessDenied, DryRun or not. */
  denyPermission(command: string, opts: { region?: string } = {}): void {
    this.faults.deny(command, opts.region);
  }

  noCapacity(rule: CapacityRule): void {
    this.#capacity.push(rule);
  }

  restoreCapacity(): void {
    this.#capacity = [];
  }

  capacityProblem(region: string, subnetId: string, instanceType: string): 'capacity' | 'unsupported' | null {
    const rule = this.#capacity.find(
      (r) => (r.region ?? region) === region && (r.subnetId ?? subnetId) === subnetId && (r.instanceType ?? instanceType) === instanceType,
    );
    return rule ? (rule.unsupported ? 'unsupported' : 'capacity') : null;
  }

  // ---- calls and time -----------------------------------------------------------------------------

  callCount(command?: string, filter: { service?: AwsService; region?: string } = {}): number {
    return this.calls.filter(
      (c) => (command === undefined || c.command === command) && (filter.service ?? c.service) === c.service && (filter.region ?? c.region) === c.region,
    ).length;
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  /** Moves fake time; lifecycle changes that were due happen on the next call. */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /** Finishes every pending instance transition now (pending -> running, shutting-down -> terminated). */
  settle(): void {
    for (const r of this.#regions.values()) {
      settleInstances(this.#ctx(r.name), true);
      settleImages(this.#ctx(r.name), true);
    }
  }

  /** The instance powers itself off from inside (what the dead man's switch does): stopped, or terminated per its InstanceInitiatedShutdownBehavior. */
  guestShutdown(region: string, instanceId: string): InstanceState {
    return guestShutdown(this.#ctx(region), instanceId);
  }

  nextPublicIp(): string {
    return this.options.publicIp(this.#publicIps++);
  }

  recordCreation(region: string, resourceType: string, id: string, tags: Tags): void {
    this.creations.push({ region, resourceType, id, tags: Object.fromEntries(tags) });
  }

  /** The tags `id` had when it was created (null when it was seeded, not created through the API). */
  tagsAtCreation(id: string): Record<string, string> | null {
    return this.creations.find((c) => c.id === id)?.tags ?? null;
  }

  // ---- inspection ---------------------------------------------------------------------------------

  /** Any resource by id, in any region, deleted or not. */
  find(id: string): { region: string; resource: Resource } | null {
    for (const r of this.#regions.values()) {
      for (const map of [r.instances, r.volumes, r.images, r.snapshots, r.sgRules, r.keyPairs, r.enis, r.subnets, r.securityGroups] as Map<string, Resource>[]) {
        const resource = map.get(id);
        if (resource) return { region: r.name, resource };
      }
    }
    return null;
  }

  /** Current tags of a resource, as a record; null when unknown. */
  tagsOf(id: string): Record<string, string> | null {
    const found = this.find(id);
    return found ? Object.fromEntries(found.resource.tags) : null;
  }

  /** What still exists (or is still registered) of a run: everything tagged `asset-id = runId`, plus ALB targets pointing at its instances. */
  liveAssetsTaggedWith(runId: string, opts: { region?: string } = {}): LiveAsset[] {
    const out: LiveAsset[] = [];
    for (const r of this.#regions.values()) {
      if (opts.region && r.name !== opts.region) continue;
      const ours = (x: Resource) => x.deletedAt === null && x.tags.get(TAG.assetId) === runId;
      const push = (kind: AssetKind, items: Iterable<Resource>) => {
        for (const x of items) if (ours(x)) out.push({ kind, id: x.id, region: r.name });
      };
      push('instance', [...r.instances.values()].filter((i) => i.state !== 'terminated'));
      push('volume', r.volumes.values());
      push('network-interface', r.enis.values());
      push('image', r.images.values());
      push('snapshot', r.snapshots.values());
      push('security-group-rule', r.sgRules.values());
      push('key-pair', r.keyPairs.values());
      for (const tg of r.targetGroups.values()) {
        for (const t of tg.targets.values()) {
          if (r.instances.get(t.id)?.tags.get(TAG.assetId) === runId) out.push({ kind: 'target', id: `${tg.arn}|${t.id}`, region: r.name });
        }
      }
    }
    return out;
  }

  // ---- seeding (see seed.ts for the options) ------------------------------------------------------

  addSubnet(opts: seed.AddSubnetOptions): string {
    return seed.addSubnet(this.#ctx(opts.region), opts);
  }
  addSecurityGroup(opts: seed.AddSecurityGroupOptions): string {
    return seed.addSecurityGroup(this.#ctx(opts.region), opts);
  }
  addSecurityGroupRule(opts: seed.AddSecurityGroupRuleOptions): string {
    return seed.addSecurityGroupRule(this.#ctx(opts.region), opts);
  }
  addKeyPair(opts: seed.AddKeyPairOptions): seed.SeededKeyPair {
    return seed.addKeyPair(this.#ctx(opts.region), opts);
  }
  addImage(opts: seed.AddImageOptions): { imageId: string; snapshotId: string } {
    return seed.addImage(this.#ctx(opts.region), opts);
  }
  addSnapshot(opts: seed.AddSnapshotOptions): string {
    return seed.addSnapshot(this.#ctx(opts.region), opts);
  }
  addVolume(opts: seed.AddVolumeOptions): string {
    return seed.addVolume(this.#ctx(opts.region), opts);
  }
  addInstance(opts: seed.AddInstanceOptions): string {
    return seed.addInstance(this.#ctx(opts.region), opts);
  }
  addTargetGroup(opts: seed.AddTargetGroupOptions): string {
    return seed.addTargetGroup(this.#ctx(opts.region), opts);
  }
  /** Puts a target straight into a group (no running check): e.g. one pointing at a long-gone instance. */
  registerTarget(targetGroupArn: string, instanceId: string, opts: seed.SeedTargetOptions = {}): void {
    seed.registerTarget(this.#ctx(this.#regionOfArn(targetGroupArn)), targetGroupArn, instanceId, opts);
  }
  /** Forces a target's health until cleared with `null` (e.g. unhealthy with a reason). */
  setTargetHealth(targetGroupArn: string, instanceId: string, health: seed.ForcedHealth | null, port?: number): void {
    seed.setTargetHealth(this.#ctx(this.#regionOfArn(targetGroupArn)), targetGroupArn, instanceId, health, port);
  }
  /** Changes how the group's targets behave from now on (healthy after N polls, or unhealthy). */
  setTargetGroupBehaviour(targetGroupArn: string, behaviour: seed.TargetGroupBehaviour): void {
    seed.setTargetGroupBehaviour(this.#ctx(this.#regionOfArn(targetGroupArn)), targetGroupArn, behaviour);
  }

  #regionOfArn(arn: string): string {
    const region = arn.split(':')[3];
    if (!region) throw new Error(`FakeCloud: ${arn} is not an ARN`);
    return region;
  }
}
