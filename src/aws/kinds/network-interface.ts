// The network interface RunInstances creates with each instance: tagged at creation like the instance,
// deleted by AWS with it (DeleteOnTermination), so neither teardown nor the sweeper removes one itself.
import type { AssetKindDescriptor } from './types.ts';

export const networkInterface: AssetKindDescriptor<'network-interface'> = {
  kind: 'network-interface',
  singular: 'network interface',
  plural: 'network interfaces',
  ec2ResourceType: 'network-interface',
  createdBy: 'RunInstances',
  marks: 'tag',
  retagOnKeep: false,
  rule: 'run',
  iam: { read: [], create: ['ec2:RunInstances'], remove: [] },
  leftBehind: () => 'network interface left behind',
};
