// RunInstances / DescribeInstances / TerminateInstances, with EC2's lifecycle: pending -> running,
// shutting-down -> terminated (each after N DescribeInstances calls in the region or some fake time),
// DeleteOnTermination volumes deleted at termination, terminated instances visible for a while.

import type {
  StartInstancesRequest,
  StartInstancesResult,
  StopInstancesRequest,
  StopInstancesResult,
  DescribeInstancesRequest,
  DescribeInstancesResult,
  Instance,
  Reservation,
  RunInstancesRequest,
  TerminateInstancesRequest,
  TerminateInstancesResult,
} from '@aws-sdk/client-ec2';
import type { Ctx } from './context.ts';
import { ec2Error, insufficientCapacity } from './errors.ts';
import { matchesFilters, validateFilters } from './filters.ts';
import { newId } from './ids.ts';
import { live, STATE_CODES, tagList, type FakeInstance, type InstanceState, type RegionState } from './model.ts';
import { paginate } from './paginate.ts';
import { planBlockDevices, createInstanceVolumes } from './ec2-volumes.ts';
import { tagsBySpec } from './ec2-tags.ts';

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const INSTANCE_FILTERS = [
  'instance-id', 'instance-state-name', 'instance-state-code', 'instance-type', 'image-id', 'subnet-id', 'vpc-id',
  'key-name', 'client-token', 'reservation-id', 'private-ip-address', 'ip-address', 'availability-zone',
  'instance.group-id', 'launch-time',
];

function fingerprint(input: RunInstancesRequest): string {
  const { ClientToken: _t, DryRun: _d, ...rest } = input;
  return JSON.stringify(rest, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

function reservation(ctx: Ctx, reservationId: string, instances: FakeInstance[]): Reservation {
  return { ReservationId: reservationId, OwnerId: ctx.cloud.accountId, Groups: [], Instances: instances.map((i) => renderInstance(ctx.region, i)) };
}

export function runInstances(ctx: Ctx, input: RunInstancesRequest): Reservation {
  const { cloud, region, now } = ctx;
  const fp = fingerprint(input);
  if (input.ClientToken !== undefined) {
    if (input.ClientToken.length > 64) throw ec2Error('InvalidParameterValue', 'The client token must be at most 64 characters long');
    const seen = region.clientTokens.get(input.ClientToken);
    if (seen) {
      if (seen.fingerprint !== fp) {
        throw ec2Error('IdempotentParameterMismatch', `Arguments on this idempotent request are inconsistent with arguments used in previous request(s) (client token ${input.ClientToken})`);
      }
      const instances = seen.instanceIds.flatMap((id) => region.instances.get(id) ?? []);
      return { ...reservation(ctx, seen.reservationId, instances) };
    }
  }
  if (input.MinCount === undefined) throw ec2Error('MissingParameter', 'The request must contain the parameter MinCount');
  if (input.MaxCount === undefined) throw ec2Error('MissingParameter', 'The request must contain the parameter MaxCount');
  if (input.MinCount < 1 || input.MaxCount < input.MinCount) throw ec2Error('InvalidParameterValue', `Invalid MinCount ${input.MinCount} / MaxCount ${input.MaxCount}`);
  if (input.NetworkInterfaces) throw new Error('FakeCloud: RunInstances with NetworkInterfaces is not implemented');

  const { image, instanceType, subnetId, subnet, groupIds, shutdownBehavior } = checkLaunch(ctx, input);
  const specTags = tagsBySpec(input.TagSpecifications, ['instance', 'volume', 'network-interface', 'spot-instances-request'], cloud.options.strictTagValues);
  const devices = planBlockDevices(ctx, image, input.BlockDeviceMappings);

  const blocked = cloud.capacityProblem(region.name, subnetId, instanceType);
  if (blocked === 'unsupported') {
    throw ec2Error('Unsupported', `Your requested instance type (${instanceType}) is not supported in your requested Availability Zone (${subnet.az}). Please retry your request by not specifying an Availability Zone or choosing a different one.`);
  }
  if (blocked === 'capacity') throw insufficientCapacity(instanceType, subnet.az);

  const reservationId = newId('r');
  const created: FakeInstance[] = [];
  for (let n = 0; n < input.MaxCount; n++) {
    const instanceId = newId('i');
    const eniId = newId('eni');
    const privateIp = `${subnet.prefix}.${subnet.nextHost++ % 250 + 4}`;
    const tags = new Map(specTags.get('instance'));
    const inst: FakeInstance = {
      id: instanceId,
      reservationId,
      imageId: image.id,
      instanceType,
      state: 'pending',
      stateReason: { code: 'pending', message: 'pending' },
      transition: { to: 'running', afterDescribes: cloud.options.pendingDescribes, atMs: now + cloud.options.pendingMs, describes: 0 },
      subnetId,
      vpcId: subnet.vpcId,
      az: subnet.az,
      securityGroupIds: [...groupIds],
      keyName: input.KeyName,
      privateIp,
      publicIp: subnet.mapPublicIp ? cloud.nextPublicIp() : undefined,
      eniId,
      rootDeviceName: image.rootDeviceName,
      volumeIds: [],
      clientToken: input.ClientToken,
      terminationProtected: input.DisableApiTermination ?? false,
      shutdownBehavior,
      tags,
      createdAt: now,
      deletedAt: null,
    };
    region.instances.set(instanceId, inst);
    cloud.recordCreation(region.name, 'instance', instanceId, tags);
    const eniTags = new Map(specTags.get('network-interface'));
    region.enis.set(eniId, { id: eniId, instanceId, subnetId, privateIp, deleteOnTermination: cloud.options.eniDeleteOnTermination, tags: eniTags, createdAt: now, deletedAt: null });
    cloud.recordCreation(region.name, 'network-interface', eniId, eniTags);
    inst.volumeIds = createInstanceVolumes(ctx, inst, devices, specTags.get('volume'));
    created.push(inst);
  }
  if (input.ClientToken !== undefined) {
    region.clientTokens.set(input.ClientToken, { fingerprint: fp, reservationId, instanceIds: created.map((i) => i.id) });
  }
  return reservation(ctx, reservationId, created);
}

/**
 * What RunInstances checks before it launches anything: the AMI, the instance type, the subnet, the
 * groups and the key pair. A DryRun is answered only after these pass, as AWS does.
 */
export function checkLaunch(ctx: Ctx, input: RunInstancesRequest) {
  const { region } = ctx;
  const shutdownBehavior = input.InstanceInitiatedShutdownBehavior ?? 'stop';
  if (shutdownBehavior !== 'stop' && shutdownBehavior !== 'terminate') {
    throw ec2Error('InvalidParameterValue', `Value (${String(shutdownBehavior)}) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values are: stop, terminate`);
  }
  const image = findLaunchableImage(ctx, input.ImageId);
  const instanceType = input.InstanceType ?? 'm1.small';
  if (!INSTANCE_TYPE.test(instanceType)) throw ec2Error('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);

  const subnetId = input.SubnetId ?? region.defaultSubnetId;
  const subnet = live(region.subnets.get(subnetId));
  if (!subnet) throw ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);

  const groupIds = input.SecurityGroupIds?.length ? input.SecurityGroupIds : defaultGroup(region, subnet.vpcId);
  for (const g of groupIds) {
    const sg = live(region.securityGroups.get(g));
    if (!sg || sg.vpcId !== subnet.vpcId) throw ec2Error('InvalidGroup.NotFound', `The security group '${g}' does not exist in VPC '${subnet.vpcId}'`);
  }
  if (input.KeyName !== undefined && ![...region.keyPairs.values()].some((k) => k.deletedAt === null && k.keyName === input.KeyName)) {
    throw ec2Error('InvalidKeyPair.NotFound', `The key pair '${input.KeyName}' does not exist`);
  }
  return { image, instanceType, subnetId, subnet, groupIds, shutdownBehavior };
}

function findLaunchableImage(ctx: Ctx, imageId: string | undefined) {
  if (!imageId) throw ec2Error('MissingParameter', 'The request must contain the parameter ImageId');
  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId)) throw ec2Error('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
  const image = live(ctx.region.images.get(imageId));
  if (!image || (image.ownerId !== ctx.cloud.accountId && !image.isPublic)) {
    throw ec2Error('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  }
  if (image.state !== 'available') throw ec2Error('InvalidAMIID.Unavailable', `The image id '[${imageId}]' is not available (state: ${image.state})`);
  return image;
}

function defaultGroup(region: RegionState, vpcId: string): string[] {
  const sg = [...region.securityGroups.values()].find((g) => g.deletedAt === null && g.vpcId === vpcId && g.name === 'default');
  return sg ? [sg.id] : [];
}

export function renderInstance(region: RegionState, i: FakeInstance): Instance {
  const terminated = i.state === 'terminated';
  return {
    InstanceId: i.id,
    ImageId: i.imageId,
    InstanceType: i.instanceType as Instance['InstanceType'],
    KeyName: i.keyName,
    LaunchTime: new Date(i.createdAt),
    Placement: { AvailabilityZone: i.az, Tenancy: 'default' },
    State: { Code: STATE_CODES[i.state], Name: i.state },
    ...(i.stateReason ? { StateReason: { Code: i.stateReason.code, Message: i.stateReason.message } } : {}),
    StateTransitionReason: terminated ? `User initiated (${new Date(i.deletedAt ?? i.createdAt).toISOString().replace('T', ' ').slice(0, 19)} GMT)` : '',
    ...(terminated ? {} : {
      SubnetId: i.subnetId,
      VpcId: i.vpcId,
      PrivateIpAddress: i.privateIp,
      PrivateDnsName: `ip-${i.privateIp.replaceAll('.', '-')}.${region.name}.compute.internal`,
      ...(i.publicIp ? { PublicIpAddress: i.publicIp, PublicDnsName: `ec2-${i.publicIp.replaceAll('.', '-')}.${region.name}.compute.amazonaws.com` } : {}),
      SecurityGroups: i.securityGroupIds.map((g) => ({ GroupId: g, GroupName: region.securityGroups.get(g)?.name ?? g })),
      NetworkInterfaces: [{
        NetworkInterfaceId: i.eniId, SubnetId: i.subnetId, VpcId: i.vpcId, PrivateIpAddress: i.privateIp, Status: 'in-use',
        Attachment: { DeviceIndex: 0, Status: 'attached', DeleteOnTermination: region.enis.get(i.eniId)?.deleteOnTermination ?? true },
      }],
      BlockDeviceMappings: i.volumeIds.flatMap((v) => {
        const vol = region.volumes.get(v);
        return vol?.attachment ? [{ DeviceName: vol.attachment.device, Ebs: { VolumeId: v, Status: 'attached' as const, DeleteOnTermination: vol.attachment.deleteOnTermination, AttachTime: new Date(vol.attachment.attachedAt) } }] : [];
      }),
    }),
    RootDeviceName: i.rootDeviceName,
    RootDeviceType: 'ebs',
    Architecture: 'x86_64',
    VirtualizationType: 'hvm',
    Hypervisor: 'xen',
    ...(i.clientToken ? { ClientToken: i.clientToken } : {}),
    Tags: tagList(i.tags),
  };
}

function visible(ctx: Ctx, i: FakeInstance): boolean {
  return i.deletedAt === null || ctx.now - i.deletedAt <= ctx.cloud.options.terminatedVisibleMs;
}

export function describeInstances(ctx: Ctx, input: DescribeInstancesRequest): DescribeInstancesResult {
  const { region } = ctx;
  if (input.InstanceIds?.length && input.MaxResults !== undefined) {
    throw ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  }
  validateFilters(input.Filters, INSTANCE_FILTERS);
  // Every DescribeInstances call in the region is a tick of the instances' lifecycles.
  for (const inst of region.instances.values()) {
    if (!inst.transition) continue;
    if (inst.transition.describes >= inst.transition.afterDescribes) applyTransition(ctx, inst);
    else inst.transition.describes++;
  }
  let candidates = [...region.instances.values()].filter((i) => visible(ctx, i));
  if (input.InstanceIds?.length) {
    for (const id of input.InstanceIds) {
      if (!/^i-[0-9a-f]{8,17}$/.test(id)) throw ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${id}"`);
    }
    const missing = input.InstanceIds.filter((id) => !candidates.some((i) => i.id === id));
    if (missing.length === 1) throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${missing[0]}' does not exist`);
    if (missing.length > 1) throw ec2Error('InvalidInstanceID.NotFound', `The instance IDs '${missing.join(', ')}' do not exist`);
    candidates = candidates.filter((i) => input.InstanceIds?.includes(i.id));
  }
  const matched = candidates.filter((i) => matchesFilters(input.Filters, instanceFields(i), i.tags));
  const page = paginate(matched, (i) => i.id, input.MaxResults, input.NextToken, { op: 'DescribeInstances', service: 'ec2', min: 5, max: 1000 });
  const groups = new Map<string, FakeInstance[]>();
  for (const i of page.items) groups.set(i.reservationId, [...(groups.get(i.reservationId) ?? []), i]);
  return {
    Reservations: [...groups].map(([rid, list]) => reservation(ctx, rid, list)),
    ...(page.nextToken ? { NextToken: page.nextToken } : {}),
  };
}

function instanceFields(i: FakeInstance) {
  return {
    'instance-id': i.id,
    'instance-state-name': i.state,
    'instance-state-code': STATE_CODES[i.state],
    'instance-type': i.instanceType,
    'image-id': i.imageId,
    'subnet-id': i.subnetId,
    'vpc-id': i.vpcId,
    'key-name': i.keyName,
    'client-token': i.clientToken,
    'reservation-id': i.reservationId,
    'private-ip-address': i.privateIp,
    'ip-address': i.publicIp,
    'availability-zone': i.az,
    'instance.group-id': i.securityGroupIds,
    'launch-time': new Date(i.createdAt).toISOString(),
  };
}

/** The visible instances a Stop/Terminate names, all or an error as EC2 answers. */
function instancesNamed(ctx: Ctx, ids: string[] | undefined): FakeInstance[] {
  if (!ids || ids.length === 0) throw ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
  return ids.map((id) => {
    const inst = ctx.region.instances.get(id);
    if (!inst || !visible(ctx, inst)) throw ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
    return inst;
  });
}

export function terminateInstances(ctx: Ctx, input: TerminateInstancesRequest): TerminateInstancesResult {
  const { cloud, now } = ctx;
  const found = instancesNamed(ctx, input.InstanceIds);
  const protectedOne = found.find((i) => i.terminationProtected && i.state !== 'terminated');
  if (protectedOne) {
    throw ec2Error('OperationNotPermitted', `The instance '${protectedOne.id}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`);
  }
  return {
    TerminatingInstances: found.map((inst) => {
      const previous = inst.state;
      if (previous !== 'shutting-down' && previous !== 'terminated') {
        inst.state = 'shutting-down';
        inst.stateReason = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
        inst.transition = { to: 'terminated', afterDescribes: cloud.options.shuttingDownDescribes, atMs: now + cloud.options.shuttingDownMs, describes: 0 };
      }
      return {
        InstanceId: inst.id,
        PreviousState: { Code: STATE_CODES[previous], Name: previous },
        CurrentState: { Code: STATE_CODES[inst.state], Name: inst.state },
      };
    }),
  };
}

/**
 * The instance's own OS powered it off (`shutdown -h`): EC2 stops it, or terminates it when it was
 * launched with InstanceInitiatedShutdownBehavior=terminate. Termination protection does not apply.
 */
export function guestShutdown(ctx: Ctx, instanceId: string): InstanceState {
  const { cloud, now } = ctx;
  const inst = ctx.region.instances.get(instanceId);
  if (!inst || inst.deletedAt !== null) throw new Error(`FakeCloud: no live instance ${instanceId} to shut down`);
  if (inst.state !== 'running') return inst.state;
  const reason = { code: 'Client.InstanceInitiatedShutdown', message: 'Client.InstanceInitiatedShutdown: Instance initiated shutdown' };
  inst.stateReason = reason;
  if (inst.shutdownBehavior === 'terminate') {
    inst.state = 'shutting-down';
    inst.transition = { to: 'terminated', afterDescribes: cloud.options.shuttingDownDescribes, atMs: now + cloud.options.shuttingDownMs, describes: 0 };
  } else {
    inst.state = 'stopping';
    inst.transition = { to: 'stopped', afterDescribes: cloud.options.shuttingDownDescribes, atMs: now + cloud.options.shuttingDownMs, describes: 0 };
  }
  return inst.state;
}

export function applyTransition(ctx: Ctx, inst: FakeInstance): void {
  const t = inst.transition;
  if (!t) return;
  inst.transition = null;
  setState(ctx, inst, t.to);
}

function setState(ctx: Ctx, inst: FakeInstance, state: InstanceState): void {
  inst.state = state;
  if (state === 'running') inst.stateReason = undefined;
  // A stopped instance gives its public IPv4 address back (AWS: it gets a new one when started).
  if (state === 'stopped') inst.publicIp = undefined;
  if (state !== 'terminated') return;
  inst.deletedAt = ctx.now;
  inst.publicIp = undefined;
  const eni = ctx.region.enis.get(inst.eniId);
  // AWS deletes the primary interface with its instance (DeleteOnTermination); without it, it stays, detached.
  if (eni?.deleteOnTermination) eni.deletedAt = ctx.now;
  else if (eni) eni.instanceId = null;
  for (const volumeId of inst.volumeIds) {
    const vol = ctx.region.volumes.get(volumeId);
    if (!vol?.attachment) continue;
    if (vol.attachment.deleteOnTermination) vol.deletedAt = ctx.now;
    vol.attachment = null;
  }
}

/** Transitions whose fake time has come (or all of them, `force`). */
export function settleInstances(ctx: Ctx, force = false): void {
  for (const inst of ctx.region.instances.values()) {
    if (inst.transition && (force || ctx.now >= inst.transition.atMs)) applyTransition(ctx, inst);
  }
}

/** StopInstances: a running instance goes stopping, then stopped (a bake stops its builder before imaging it). */
export function stopInstances(ctx: Ctx, input: StopInstancesRequest): StopInstancesResult {
  const { cloud, now } = ctx;
  const found = instancesNamed(ctx, input.InstanceIds);
  for (const inst of found) {
    if (inst.state === 'terminated' || inst.state === 'shutting-down') throw ec2Error('IncorrectInstanceState', `This instance '${inst.id}' is not in a state from which it can be stopped.`);
  }
  return {
    StoppingInstances: found.map((inst) => {
      const previous = inst.state;
      if (previous === 'running' || previous === 'pending') {
        inst.state = 'stopping';
        inst.stateReason = { code: 'Client.UserInitiatedShutdown', message: 'Client.UserInitiatedShutdown: User initiated shutdown' };
        inst.transition = { to: 'stopped', afterDescribes: cloud.options.shuttingDownDescribes, atMs: now + cloud.options.shuttingDownMs, describes: 0 };
      }
      return { InstanceId: inst.id, PreviousState: { Code: STATE_CODES[previous], Name: previous }, CurrentState: { Code: STATE_CODES[inst.state], Name: inst.state } };
    }),
  };
}

/**
 * StartInstances: a stopped instance goes pending, then running, with a new public IPv4 address when its
 * subnet maps one (a launch starts the warm pool member it claimed). A running one stays as it is.
 */
export function startInstances(ctx: Ctx, input: StartInstancesRequest): StartInstancesResult {
  const { cloud, now } = ctx;
  const found = instancesNamed(ctx, input.InstanceIds);
  for (const inst of found) {
    if (inst.state !== 'stopped' && inst.state !== 'running' && inst.state !== 'pending') {
      throw ec2Error('IncorrectInstanceState', `The instance '${inst.id}' is not in a state from which it can be started.`);
    }
  }
  return {
    StartingInstances: found.map((inst) => {
      const previous = inst.state;
      if (previous === 'stopped') {
        inst.state = 'pending';
        const subnet = ctx.region.subnets.get(inst.subnetId);
        if (subnet?.mapPublicIp) inst.publicIp = cloud.nextPublicIp();
        inst.transition = { to: 'running', afterDescribes: cloud.options.pendingDescribes, atMs: now + cloud.options.pendingMs, describes: 0 };
      }
      return { InstanceId: inst.id, PreviousState: { Code: STATE_CODES[previous], Name: previous }, CurrentState: { Code: STATE_CODES[inst.state], Name: inst.state } };
    }),
  };
}
