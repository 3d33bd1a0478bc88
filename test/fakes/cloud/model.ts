// What one region of the fake cloud holds. Resources stay in their maps after deletion (`deletedAt` set)
// because AWS keeps showing them for a while: terminated instances in DescribeInstances, and everything
// in the Tagging API. `purge` forgets them once no view shows them any more.

import { newId } from './ids.ts';

export type Tags = Map<string, string>;

export interface Resource {
  id: string;
  tags: Tags;
  createdAt: number;
  /** When it was deleted (an instance: when it reached `terminated`); null while it exists. */
  deletedAt: number | null;
}

export interface FakeVpc {
  vpcId: string;
  cidr: string;
  isDefault: boolean;
}

export interface FakeSubnet extends Resource {
  vpcId: string;
  az: string;
  /** First three octets of the /24 private IPs come from. */
  prefix: string;
  nextHost: number;
  mapPublicIp: boolean;
}

export interface FakeSecurityGroup extends Resource {
  name: string;
  vpcId: string;
}

export interface FakeSgRule extends Resource {
  groupId: string;
  isEgress: boolean;
  ipProtocol: string;
  fromPort: number;
  toPort: number;
  cidrIpv4: string;
  description: string | undefined;
}

export interface FakeKeyPair extends Resource {
  keyName: string;
  keyType: 'rsa' | 'ed25519';
  fingerprint: string;
  /** OpenSSH public key line (`ssh-ed25519 AAAA...`): tests install it on a local sshd. */
  publicKey: string;
}

export interface FakeSnapshot extends Resource {
  volumeSize: number;
  ownerId: string;
  description: string;
  state: 'pending' | 'completed';
}

export interface FakeBlockDevice {
  deviceName: string;
  snapshotId: string | undefined;
  volumeSize: number;
  volumeType: string;
  deleteOnTermination: boolean;
}

export interface FakeImage extends Resource {
  name: string;
  ownerId: string;
  isPublic: boolean;
  state: 'pending' | 'available' | 'failed';
  rootDeviceName: string;
  blockDevices: FakeBlockDevice[];
  description: string | undefined;
  /** Accounts given launch permission (ModifyImageAttribute); absent: none. */
  launchPermissions?: Set<string>;
  /** When AWS deprecates it (EnableImageDeprecation), ms; absent or null: never. */
  deprecationTime?: number | null;
  /** A copy: when its `pending` ends, and in which state (CopyImage). */
  settlesAt?: { atMs: number; to: 'available' | 'failed' } | null;
}

export interface FakeAttachment {
  instanceId: string;
  device: string;
  deleteOnTermination: boolean;
  attachedAt: number;
}

export interface FakeVolume extends Resource {
  size: number;
  volumeType: string;
  az: string;
  snapshotId: string | undefined;
  attachment: FakeAttachment | null;
  iops: number | undefined;
  throughput: number | undefined;
}

export type InstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export const STATE_CODES: Record<InstanceState, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface FakeTransition {
  to: InstanceState;
  /** Applied at the first describe after this many describes showed the old state... */
  afterDescribes: number;
  /** ...or once fake time reaches this, whichever comes first. */
  atMs: number;
  describes: number;
}

export interface FakeInstance extends Resource {
  reservationId: string;
  imageId: string;
  instanceType: string;
  state: InstanceState;
  stateReason: { code: string; message: string } | undefined;
  transition: FakeTransition | null;
  subnetId: string;
  vpcId: string;
  az: string;
  securityGroupIds: string[];
  keyName: string | undefined;
  privateIp: string;
  publicIp: string | undefined;
  eniId: string;
  rootDeviceName: string;
  volumeIds: string[];
  clientToken: string | undefined;
  terminationProtected: boolean;
  /** What a power-off from inside the instance does (RunInstances' InstanceInitiatedShutdownBehavior; AWS's default `stop`). */
  shutdownBehavior: 'stop' | 'terminate';
}

export interface FakeEni extends Resource {
  /** The instance it is attached to (device 0); null once detached (left behind by a termination). */
  instanceId: string | null;
  subnetId: string;
  privateIp: string;
  /** The attachment's DeleteOnTermination: AWS sets it for the primary interface RunInstances creates. */
  deleteOnTermination: boolean;
}

export type TargetPhase = 'initial' | 'healthy' | 'unhealthy' | 'draining';

export interface FakeTarget {
  id: string;
  port: number;
  phase: TargetPhase;
  /** DescribeTargetHealth answers that showed the current phase. */
  polls: number;
  since: number;
  /** A test-imposed health that sticks until cleared. */
  forced: { state: string; reason?: string; description?: string } | null;
}

export interface FakeTargetGroup {
  arn: string;
  name: string;
  vpcId: string;
  port: number;
  protocol: string;
  createdAt: number;
  /** A new target turns healthy (or `unhealthy`, below) after this many polls or `healthyAfterMs`. */
  healthyAfterPolls: number;
  healthyAfterMs: number;
  /** When set, new targets end their initial checks unhealthy with this reason. */
  unhealthy: { reason: string; description: string } | null;
  /** A deregistered target drains for this many polls or `deregistrationDelayMs`. */
  drainPolls: number;
  deregistrationDelayMs: number;
  targets: Map<string, FakeTarget>;
}

export interface ClientTokenRecord {
  fingerprint: string;
  reservationId: string;
  instanceIds: string[];
}

export class RegionState {
  readonly name: string;
  readonly vpcs = new Map<string, FakeVpc>();
  readonly subnets = new Map<string, FakeSubnet>();
  readonly securityGroups = new Map<string, FakeSecurityGroup>();
  readonly sgRules = new Map<string, FakeSgRule>();
  readonly keyPairs = new Map<string, FakeKeyPair>();
  readonly images = new Map<string, FakeImage>();
  readonly snapshots = new Map<string, FakeSnapshot>();
  readonly volumes = new Map<string, FakeVolume>();
  readonly instances = new Map<string, FakeInstance>();
  readonly enis = new Map<string, FakeEni>();
  readonly clientTokens = new Map<string, ClientTokenRecord>();
  /** CopyImage's ClientToken -> the copy it made (idempotency). */
  readonly copyTokens = new Map<string, string>();
  readonly targetGroups = new Map<string, FakeTargetGroup>();
  readonly defaultVpcId: string;
  readonly defaultSubnetId: string;
  readonly defaultSecurityGroupId: string;
  #subnetCount = 0;

  constructor(name: string, now: number) {
    this.name = name;
    // Every account has a default VPC per region, with a subnet and a `default` security group.
    this.defaultVpcId = newId('vpc');
    this.vpcs.set(this.defaultVpcId, { vpcId: this.defaultVpcId, cidr: '172.31.0.0/16', isDefault: true });
    this.defaultSubnetId = this.addSubnet({ vpcId: this.defaultVpcId, now });
    this.defaultSecurityGroupId = newId('sg');
    this.securityGroups.set(this.defaultSecurityGroupId, {
      id: this.defaultSecurityGroupId,
      name: 'default',
      vpcId: this.defaultVpcId,
      tags: new Map(),
      createdAt: now,
      deletedAt: null,
    });
  }

  addSubnet(opts: { subnetId?: string; vpcId?: string; az?: string; now: number; mapPublicIp?: boolean; tags?: Tags }): string {
    const n = this.#subnetCount++;
    const vpcId = opts.vpcId ?? this.defaultVpcId;
    if (!this.vpcs.has(vpcId)) this.vpcs.set(vpcId, { vpcId, cidr: '10.0.0.0/16', isDefault: false });
    const subnetId = opts.subnetId ?? newId('subnet');
    this.subnets.set(subnetId, {
      id: subnetId,
      vpcId,
      az: opts.az ?? `${this.name}${'abcdef'[n % 6]}`,
      prefix: this.vpcs.get(vpcId)?.isDefault ? `172.31.${16 * (n % 16)}` : `10.0.${n % 256}`,
      nextHost: 10,
      mapPublicIp: opts.mapPublicIp ?? true,
      tags: opts.tags ?? new Map(),
      createdAt: opts.now,
      deletedAt: null,
    });
    return subnetId;
  }

  /** Forgets deleted resources that no view shows any more. */
  purge(now: number, keepMs: number): void {
    for (const map of [this.sgRules, this.keyPairs, this.images, this.snapshots, this.volumes, this.instances, this.enis] as Map<string, Resource>[]) {
      for (const [id, r] of map) if (r.deletedAt !== null && now - r.deletedAt > keepMs) map.delete(id);
    }
  }
}

export function live<T extends Resource>(r: T | undefined): T | undefined {
  return r && r.deletedAt === null ? r : undefined;
}

export function tagList(tags: Tags): { Key: string; Value: string }[] | undefined {
  return tags.size === 0 ? undefined : [...tags].map(([Key, Value]) => ({ Key, Value }));
}
