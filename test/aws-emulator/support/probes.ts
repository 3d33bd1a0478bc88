// Small questions asked of one AWS backend (plain moto, moto through the shim, the fake cloud): a network
// to launch into, and the answer to a call reduced to something two backends can be compared on.
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand, DescribeImagesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { awsErrorCode } from '../../../src/aws/errors.ts';

export interface SmallNetwork {
  vpcId: string;
  subnetId: string;
  groupId: string;
  /** One of the Amazon AMIs moto ships. */
  amazonImage: string;
}

/** A VPC with one subnet and one security group in the client's region, and an Amazon AMI to launch. */
export async function smallNetwork(ec2: EC2Client, cidrOctet: number): Promise<SmallNetwork> {
  const region = await ec2.config.region();
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${cidrOctet}.0.0/16` }))).Vpc!.VpcId!;
  const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${cidrOctet}.1.0/24`, AvailabilityZone: `${region}a` }))).Subnet!.SubnetId!;
  const groupId = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: 'web', Description: 'web', VpcId: vpcId }))).GroupId!;
  const amazonImage = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }))).Images!.find((i) => i.RootDeviceName)!.ImageId!;
  return { vpcId, subnetId, groupId, amazonImage };
}

/** The AWS error code a call fails with, or what `read` makes of its answer (default `ok`). */
export async function outcome<T>(call: Promise<T>, read: (out: T) => unknown = () => 'ok'): Promise<unknown> {
  try {
    return read(await call);
  } catch (err) {
    return awsErrorCode(err) ?? `not an AWS error: ${err instanceof Error ? err.message.slice(0, 100) : String(err)}`;
  }
}
