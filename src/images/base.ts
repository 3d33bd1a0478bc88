// Where a bake's builder starts: the image's base AMI id, the newest AMI of its owners matching its
// name filter (found with DescribeImages), or the AMI id an AWS public parameter names now (a stock
// Ubuntu: /aws/service/canonical/..., read with SSM GetParameter). All in the image's first region,
// where it is baked: public parameters and AMI ids are per region.
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { AwsClients } from '../aws/clients.ts';
import { awsErrorCode } from '../aws/errors.ts';
import type { ImageConfig } from '../config/index.ts';
import { UserError } from '../errors.ts';

const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

export async function resolveBaseAmi(aws: Pick<AwsClients, 'ec2' | 'ssm'>, image: ImageConfig, signal?: AbortSignal): Promise<{ ami: string; from: string }> {
  const { base } = image;
  const region = image.regions[0]!;
  if (base.ami) return { ami: base.ami, from: `images.${image.name}.base.ami` };
  if (base.ssm) return fromParameter(aws, image, base.ssm, region, signal);
  const out = await aws.ec2(region).send(
    new DescribeImagesCommand({ Owners: base.owners, Filters: [{ Name: 'name', Values: [base.name!] }, { Name: 'state', Values: ['available'] }] }),
    { abortSignal: signal },
  );
  const newest = (out.Images ?? []).filter((i) => i.ImageId).sort((a, b) => Date.parse(b.CreationDate ?? '') - Date.parse(a.CreationDate ?? ''))[0];
  if (!newest) throw new UserError(`no available AMI of ${(base.owners ?? []).join(', ')} named ${base.name} in ${region} (images.${image.name}.base)`);
  return { ami: newest.ImageId!, from: `${newest.Name ?? base.name} (newest match of images.${image.name}.base.name)` };
}

async function fromParameter(aws: Pick<AwsClients, 'ssm'>, image: ImageConfig, name: string, region: string, signal?: AbortSignal): Promise<{ ami: string; from: string }> {
  let parameter;
  try {
    parameter = (await aws.ssm(region).send(new GetParameterCommand({ Name: name }), { abortSignal: signal })).Parameter;
  } catch (err) {
    // Other failures (access denied, throttling) stay AWS errors: the caller names the call and may retry.
    if (awsErrorCode(err) !== 'ParameterNotFound') throw err;
  }
  const setting = `images.${image.name}.base.ssm`;
  if (!parameter) throw new UserError(`no AWS public parameter ${name} in ${region} (${setting}); AWS lists them with \`aws ssm get-parameters-by-path --path ${parentOf(name)}\``);
  const value = parameter.Value?.trim() ?? '';
  if (!AMI_ID.test(value)) throw new UserError(`the AWS public parameter ${name} in ${region} (${setting}) is ${JSON.stringify(value.slice(0, 60))}, not an AMI id`);
  return { ami: value, from: `${name}${parameter.Version ? ` version ${parameter.Version}` : ''} (${setting})` };
}

function parentOf(name: string): string {
  return name.slice(0, Math.max(name.lastIndexOf('/'), 1));
}
