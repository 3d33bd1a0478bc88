// An image's base as an AWS public SSM parameter, read from moto with the real SDK over HTTP. moto 5.2.1
// ships AWS's /aws/service/ami-amazon-linux-latest/* parameters but not Canonical's
// /aws/service/canonical/... ones (README.md, "Where moto differs from AWS"): the lookup is checked with
// an Amazon Linux one, and Canonical's name shows the one-line error of a parameter that is not there.
import { EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ImageConfig } from '../../src/config/index.ts';
import { resolveBaseAmi } from '../../src/images/base.ts';
import { startMoto, type Moto } from './support/moto.ts';
import { describeWithMoto } from './support/suite.ts';
import { SUITE_KEY, WEST } from './support/world.ts';

const AMAZON_LINUX = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64';
const CANONICAL = '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id';

let moto: Moto;
let aws: { ec2(region: string): EC2Client; ssm(region: string): SSMClient };

const image = (ssm: string) => ({ name: 'mentor-app', base: { ssm }, regions: [WEST] }) as unknown as ImageConfig;

describeWithMoto("an image's base from an AWS public parameter, against moto", { timeout: 60_000 }, () => {
  beforeAll(async () => {
    moto = await startMoto();
    const credentials = { accessKeyId: SUITE_KEY, secretAccessKey: 'suite-secret' };
    aws = {
      ec2: (region) => new EC2Client({ region, endpoint: moto.url, credentials }),
      ssm: (region) => new SSMClient({ region, endpoint: moto.url, credentials }),
    };
  }, 30_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it('GetParameter in the image’s first region gives the AMI id the parameter names now', async () => {
    const direct = (await aws.ssm(WEST).send(new GetParameterCommand({ Name: AMAZON_LINUX }))).Parameter!;
    expect(direct.Value).toMatch(/^ami-[0-9a-f]{8,17}$/);
    expect(await resolveBaseAmi(aws, image(AMAZON_LINUX))).toEqual({ ami: direct.Value, from: `${AMAZON_LINUX} version ${direct.Version} (images.mentor-app.base.ssm)` });
  });

  it("a parameter that is not there (Canonical's, in moto) is one line naming the setting", async () => {
    await expect(resolveBaseAmi(aws, image(CANONICAL))).rejects.toThrow(`no AWS public parameter ${CANONICAL} in ${WEST} (images.mentor-app.base.ssm)`);
  });
});
