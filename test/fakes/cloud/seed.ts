// Seeding: putting things into the fake cloud directly, as if made earlier or by someone else (decoys
// without our tags, a crashed run's leftovers, the environment's AMI, subnet, security group...).
// Seeded resources are not in `cloud.creations`: that log is for what came through the API.

import type { Ctx } from './context.ts';
import { ec2Error } from './errors.ts';
import { makeKeyPair } from './ec2-key-pairs.ts';
import { newId, targetGroupArn } from './ids.ts';
import type { FakeInstance, FakeTargetGroup, InstanceState, Tags } from './model.ts';

type TagRecord = Record<string, string>;
const tagMap = (tags: TagRecord | undefined): Tags => new Map(Object.entries(tags ?? {}));
const at = (ctx: Ctx, date: Date | undefined) => date?.getTime() ?? ctx.now;

export interface AddSubnetOptions {
  region: string;
  subnetId?: string;
  vpcId?: string;
  az?: string;
  mapPublicIp?: boolean;
}

export function addSubnet(ctx: Ctx, o: AddSubnetOptions): string {
  return ctx.region.addSubnet({ ...o, now: ctx.now });
}

export interface AddSecurityGroupOptions {
  region: string;
  groupId?: string;
  vpcId?: string;
  name?: string;
  tags?: TagRecord;
}

/** A group with AWS's default egress rule (all traffic out), which is not ours and must never be reaped. */
export function addSecurityGroup(ctx: Ctx, o: AddSecurityGroupOptions): string {
  const id = o.groupId ?? newId('sg');
  const vpcId = o.vpcId ?? ctx.region.defaultVpcId;
  if (!ctx.region.vpcs.has(vpcId)) ctx.region.vpcs.set(vpcId, { vpcId, cidr: '10.0.0.0/16', isDefault: false });
  ctx.region.securityGroups.set(id, { id, name: o.name ?? id, vpcId, tags: tagMap(o.tags), createdAt: ctx.now, deletedAt: null });
  const egress = newId('sgr');
  ctx.region.sgRules.set(egress, { id: egress, groupId: id, isEgress: true, ipProtocol: '-1', fromPort: -1, toPort: -1, cidrIpv4: '0.0.0.0/0', description: undefined, tags: new Map(), createdAt: ctx.now, deletedAt: null });
  return id;
}

export interface AddSecurityGroupRuleOptions {
  region: string;
  groupId: string;
  cidr: string;
  /** Default 22. */
  port?: number;
  toPort?: number;
  protocol?: string;
  description?: string;
  tags?: TagRecord;
  createdAt?: Date;
}

export function addSecurityGroupRule(ctx: Ctx, o: AddSecurityGroupRuleOptions): string {
  if (!ctx.region.securityGroups.has(o.groupId)) throw new Error(`FakeCloud seed: no security group ${o.groupId} in ${ctx.region.name}`);
  const id = newId('sgr');
  const port = o.port ?? 22;
  ctx.region.sgRules.set(id, {
    id, groupId: o.groupId, isEgress: false, ipProtocol: o.protocol ?? 'tcp', fromPort: port, toPort: o.toPort ?? port,
    cidrIpv4: o.cidr, description: o.description, tags: tagMap(o.tags), createdAt: at(ctx, o.createdAt), deletedAt: null,
  });
  return id;
}

export interface AddKeyPairOptions {
  region: string;
  keyName: string;
  keyType?: 'rsa' | 'ed25519';
  tags?: TagRecord;
  createdAt?: Date;
}

export interface SeededKeyPair {
  keyPairId: string;
  keyName: string;
  privateKey: string;
  publicKey: string;
}

export function addKeyPair(ctx: Ctx, o: AddKeyPairOptions): SeededKeyPair {
  const { pair, privateKey } = makeKeyPair({ ...ctx, now: at(ctx, o.createdAt) }, o.keyName, o.keyType ?? 'ed25519', tagMap(o.tags));
  return { keyPairId: pair.id, keyName: pair.keyName, privateKey, publicKey: pair.publicKey };
}

export interface AddSnapshotOptions {
  region: string;
  snapshotId?: string;
  sizeGb?: number;
  tags?: TagRecord;
  createdAt?: Date;
  /** Another account's (public) snapshot when set to a different account id. */
  ownerId?: string;
  description?: string;
}

export function addSnapshot(ctx: Ctx, o: AddSnapshotOptions): string {
  const id = o.snapshotId ?? newId('snap');
  ctx.region.snapshots.set(id, {
    id, volumeSize: o.sizeGb ?? 8, ownerId: o.ownerId ?? ctx.cloud.accountId, description: o.description ?? '',
    state: 'completed', tags: tagMap(o.tags), createdAt: at(ctx, o.createdAt), deletedAt: null,
  });
  return id;
}

export interface AddImageOptions {
  region: string;
  imageId?: string;
  name: string;
  tags?: TagRecord;
  /** Tags of the backing snapshot (CreateImage can tag both). Default: none. */
  snapshotTags?: TagRecord;
  createdAt?: Date;
  /** Size of the root snapshot, which is also the smallest root volume it can launch with. Default 30. */
  snapshotSizeGb?: number;
  ownerId?: string;
  isPublic?: boolean;
  state?: 'pending' | 'available' | 'failed';
  rootDeviceName?: string;
  description?: string;
}

/** An AMI and its root snapshot. */
export function addImage(ctx: Ctx, o: AddImageOptions): { imageId: string; snapshotId: string } {
  const imageId = o.imageId ?? newId('ami');
  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId)) throw new Error(`FakeCloud seed: ${imageId} is not an AMI id (ami- and 8-17 hex characters)`);
  const ownerId = o.ownerId ?? ctx.cloud.accountId;
  const createdAt = o.createdAt;
  const snapshotId = addSnapshot(ctx, {
    region: ctx.region.name, sizeGb: o.snapshotSizeGb ?? 30, ownerId, tags: o.snapshotTags, ...(createdAt ? { createdAt } : {}),
    description: `Created by CreateImage(i-00000000000000000) for ${imageId}`,
  });
  const rootDeviceName = o.rootDeviceName ?? '/dev/sda1';
  ctx.region.images.set(imageId, {
    id: imageId, name: o.name, ownerId, isPublic: o.isPublic ?? ownerId !== ctx.cloud.accountId, state: o.state ?? 'available',
    rootDeviceName, description: o.description, tags: tagMap(o.tags), createdAt: at(ctx, createdAt), deletedAt: null,
    blockDevices: [{ deviceName: rootDeviceName, snapshotId, volumeSize: o.snapshotSizeGb ?? 30, volumeType: 'gp3', deleteOnTermination: true }],
  });
  return { imageId, snapshotId };
}

export interface AddVolumeOptions {
  region: string;
  volumeId?: string;
  sizeGb?: number;
  volumeType?: string;
  tags?: TagRecord;
  createdAt?: Date;
  az?: string;
  snapshotId?: string;
}

/** A detached (`available`) volume. */
export function addVolume(ctx: Ctx, o: AddVolumeOptions): string {
  const id = o.volumeId ?? newId('vol');
  const subnet = ctx.region.subnets.get(ctx.region.defaultSubnetId);
  ctx.region.volumes.set(id, {
    id, size: o.sizeGb ?? 8, volumeType: o.volumeType ?? 'gp3', az: o.az ?? subnet?.az ?? `${ctx.region.name}a`, snapshotId: o.snapshotId,
    attachment: null, iops: undefined, throughput: undefined, tags: tagMap(o.tags), createdAt: at(ctx, o.createdAt), deletedAt: null,
  });
  return id;
}

export interface AddInstanceOptions {
  region: string;
  instanceId?: string;
  /** Need not exist (an instance outlives its AMI). */
  imageId?: string;
  instanceType?: string;
  /** Default running. A seeded `terminated` instance counts as terminated at `launchedAt`. */
  state?: InstanceState;
  tags?: TagRecord;
  /** Tags of the root volume. Default: the instance's tags. */
  volumeTags?: TagRecord;
  launchedAt?: Date;
  subnetId?: string;
  securityGroupIds?: string[];
  keyName?: string;
  rootVolumeGb?: number;
  deleteOnTermination?: boolean;
  terminationProtected?: boolean;
  /** Default `stop`, as AWS. */
  shutdownBehavior?: 'stop' | 'terminate';
}

/** An instance with its root volume and network interface, already in `state`. */
export function addInstance(ctx: Ctx, o: AddInstanceOptions): string {
  const { region } = ctx;
  const id = o.instanceId ?? newId('i');
  const subnetId = o.subnetId ?? region.defaultSubnetId;
  const subnet = region.subnets.get(subnetId);
  if (!subnet) throw ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
  const launched = at(ctx, o.launchedAt);
  const state = o.state ?? 'running';
  const privateIp = `${subnet.prefix}.${(subnet.nextHost++ % 250) + 4}`;
  const eniId = newId('eni');
  const inst: FakeInstance = {
    id, reservationId: newId('r'), imageId: o.imageId ?? 'ami-00000000000000000', instanceType: o.instanceType ?? 't3.micro',
    state, stateReason: undefined, transition: null, subnetId, vpcId: subnet.vpcId, az: subnet.az,
    securityGroupIds: o.securityGroupIds ?? [region.defaultSecurityGroupId], keyName: o.keyName, privateIp,
    publicIp: state === 'terminated' ? undefined : ctx.cloud.nextPublicIp(), eniId, rootDeviceName: '/dev/sda1', volumeIds: [],
    clientToken: undefined, terminationProtected: o.terminationProtected ?? false, shutdownBehavior: o.shutdownBehavior ?? 'stop', tags: tagMap(o.tags), createdAt: launched,
    deletedAt: state === 'terminated' ? launched : null,
  };
  region.instances.set(id, inst);
  region.enis.set(eniId, { id: eniId, instanceId: id, subnetId, privateIp, deleteOnTermination: true, tags: new Map(), createdAt: launched, deletedAt: inst.deletedAt });
  if (state !== 'terminated') {
    const volumeId = newId('vol');
    region.volumes.set(volumeId, {
      id: volumeId, size: o.rootVolumeGb ?? 8, volumeType: 'gp3', az: subnet.az, snapshotId: undefined,
      attachment: { instanceId: id, device: '/dev/sda1', deleteOnTermination: o.deleteOnTermination ?? true, attachedAt: launched },
      iops: 3000, throughput: 125, tags: tagMap(o.volumeTags ?? o.tags), createdAt: launched, deletedAt: null,
    });
    inst.volumeIds.push(volumeId);
  }
  return id;
}

export interface TargetGroupBehaviour {
  healthyAfterPolls?: number;
  healthyAfterMs?: number;
  drainPolls?: number;
  deregistrationDelayMs?: number;
  /** New targets end their initial checks unhealthy with this reason; null restores healthy. */
  unhealthy?: { reason: string; description: string } | null;
}

export interface AddTargetGroupOptions extends TargetGroupBehaviour {
  region: string;
  name: string;
  arn?: string;
  vpcId?: string;
  port?: number;
  protocol?: string;
}

export function addTargetGroup(ctx: Ctx, o: AddTargetGroupOptions): string {
  const arn = o.arn ?? targetGroupArn(ctx.region.name, ctx.cloud.accountId, o.name);
  if (arn.split(':')[3] !== ctx.region.name) throw new Error(`FakeCloud seed: target group ${arn} is not in ${ctx.region.name}`);
  const tg: FakeTargetGroup = {
    arn, name: o.name, vpcId: o.vpcId ?? ctx.region.defaultVpcId, port: o.port ?? 80, protocol: o.protocol ?? 'HTTP', createdAt: ctx.now,
    healthyAfterPolls: o.healthyAfterPolls ?? 2, healthyAfterMs: o.healthyAfterMs ?? 60_000, unhealthy: o.unhealthy ?? null,
    drainPolls: o.drainPolls ?? 1, deregistrationDelayMs: o.deregistrationDelayMs ?? 300_000, targets: new Map(),
  };
  ctx.region.targetGroups.set(arn, tg);
  return arn;
}

function group(ctx: Ctx, arn: string): FakeTargetGroup {
  const tg = ctx.region.targetGroups.get(arn);
  if (!tg) throw new Error(`FakeCloud seed: no target group ${arn}`);
  return tg;
}

export interface SeedTargetOptions {
  port?: number;
  /** Default healthy. */
  phase?: 'initial' | 'healthy' | 'unhealthy' | 'draining';
}

export function registerTarget(ctx: Ctx, arn: string, instanceId: string, o: SeedTargetOptions): void {
  const tg = group(ctx, arn);
  const port = o.port ?? tg.port;
  tg.targets.set(`${instanceId}:${port}`, { id: instanceId, port, phase: o.phase ?? 'healthy', polls: 0, since: ctx.now, forced: null });
}

export interface ForcedHealth {
  state: 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';
  reason?: string;
  description?: string;
}

export function setTargetHealth(ctx: Ctx, arn: string, instanceId: string, health: ForcedHealth | null, port?: number): void {
  const tg = group(ctx, arn);
  const target = tg.targets.get(`${instanceId}:${port ?? tg.port}`);
  if (!target) throw new Error(`FakeCloud seed: ${instanceId} is not registered in ${arn}`);
  target.forced = health;
}

export function setTargetGroupBehaviour(ctx: Ctx, arn: string, b: TargetGroupBehaviour): void {
  const tg = group(ctx, arn);
  if (b.healthyAfterPolls !== undefined) tg.healthyAfterPolls = b.healthyAfterPolls;
  if (b.healthyAfterMs !== undefined) tg.healthyAfterMs = b.healthyAfterMs;
  if (b.drainPolls !== undefined) tg.drainPolls = b.drainPolls;
  if (b.deregistrationDelayMs !== undefined) tg.deregistrationDelayMs = b.deregistrationDelayMs;
  if (b.unhealthy !== undefined) tg.unhealthy = b.unhealthy;
}
