// Network interfaces: the primary one RunInstances creates with each instance (ec2-instances.ts),
// DescribeNetworkInterfaces by id or filter, DeleteNetworkInterface of a detached one.

import type { DeleteNetworkInterfaceRequest, DescribeNetworkInterfacesRequest, DescribeNetworkInterfacesResult, NetworkInterface } from '@aws-sdk/client-ec2';
import type { Ctx } from './context.ts';
import { ec2Error } from './errors.ts';
import { matchesFilters, validateFilters } from './filters.ts';
import { live, tagList, type FakeEni } from './model.ts';
import { paginate } from './paginate.ts';

const ENI_FILTERS = ['network-interface-id', 'status', 'subnet-id', 'attachment.instance-id', 'attachment.delete-on-termination'];

function status(e: FakeEni): 'in-use' | 'available' {
  return e.instanceId ? 'in-use' : 'available';
}

function render(e: FakeEni): NetworkInterface {
  return {
    NetworkInterfaceId: e.id,
    SubnetId: e.subnetId,
    PrivateIpAddress: e.privateIp,
    Status: status(e),
    InterfaceType: 'interface',
    ...(e.instanceId ? { Attachment: { InstanceId: e.instanceId, DeviceIndex: 0, Status: 'attached', DeleteOnTermination: e.deleteOnTermination } } : {}),
    TagSet: tagList(e.tags),
  };
}

export function describeNetworkInterfaces(ctx: Ctx, input: DescribeNetworkInterfacesRequest): DescribeNetworkInterfacesResult {
  validateFilters(input.Filters, ENI_FILTERS);
  let enis = [...ctx.region.enis.values()].filter((e) => e.deletedAt === null);
  if (input.NetworkInterfaceIds?.length) {
    const missing = input.NetworkInterfaceIds.filter((id) => !enis.some((e) => e.id === id));
    if (missing.length > 0) throw ec2Error('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${missing.join(', ')}' does not exist`);
    enis = enis.filter((e) => input.NetworkInterfaceIds?.includes(e.id));
  }
  const fields = (e: FakeEni) => ({
    'network-interface-id': e.id,
    status: status(e),
    'subnet-id': e.subnetId,
    'attachment.instance-id': e.instanceId,
    'attachment.delete-on-termination': e.instanceId ? String(e.deleteOnTermination) : undefined,
  });
  const matched = enis.filter((e) => matchesFilters(input.Filters, fields(e), e.tags));
  const page = paginate(matched, (e) => e.id, input.MaxResults, input.NextToken, { op: 'DescribeNetworkInterfaces', service: 'ec2', min: 5, max: 1000 });
  return { NetworkInterfaces: page.items.map(render), ...(page.nextToken ? { NextToken: page.nextToken } : {}) };
}

export function deleteNetworkInterface(ctx: Ctx, input: DeleteNetworkInterfaceRequest): object {
  const id = input.NetworkInterfaceId ?? '';
  const eni = live(ctx.region.enis.get(id));
  if (!eni) throw ec2Error('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`);
  if (eni.instanceId) throw ec2Error('InvalidNetworkInterface.InUse', `Interface: [${id}] in use.`);
  eni.deletedAt = ctx.now;
  return {};
}
