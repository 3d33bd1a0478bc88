// The fake cloud that pipeline and sweeper tests share. Usage:
//   const cloud = new FakeCloud();
//   const aws = createFakeAwsClients(cloud);          // stagebot's AwsClients, acting on `cloud`
//   const { imageId } = cloud.addImage({ region: 'eu-west-1', name: 'stg4-base' });
//   ... run the code under test with `aws` ...
//   expect(cloud.liveAssetsTaggedWith(runId)).toEqual([]);

export { FakeCloud, type FakeCloudOptions, type CallRecord, type CreationRecord, type CapacityRule, type LiveAsset } from './world.ts';
export { FakeClock } from './clock.ts';
export { createFakeAwsClients, instantRetryStrategy, mountFakeCloud, type FakeAwsClientOptions } from './mount.ts';
export { awsError, ec2Error, throttle, serverError, insufficientCapacity, unauthorized } from './errors.ts';
export type { FailOptions } from './faults.ts';
export type * from './seed.ts';
export type { RegionState, FakeInstance, FakeVolume, FakeImage, FakeSnapshot, FakeSgRule, FakeKeyPair, FakeTargetGroup, InstanceState } from './model.ts';
