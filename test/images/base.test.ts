// An image's base as an AWS public SSM parameter (`base: ssm:/aws/service/...`): the config forms and
// their one-line errors, GetParameter in the image's first region, and a bake's builder launched from
// the AMI id the parameter names. SSM is mocked (aws-sdk-client-mock): the fake cloud does not model it;
// the emulator suite reads a public parameter moto ships (test/aws-emulator/images-ssm.test.ts).
import { GetParameterCommand, ParameterNotFound, SSMServiceException } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { resolveBaseAmi } from '../../src/images/base.ts';
import type { RunContext } from '../../src/pipeline/run-context.ts';
import { launchStep } from '../../src/pipeline/steps/launch.ts';
import { minimalConfig, problemsOf, toYaml } from '../config/helpers.ts';
import { createTestRun, type TestRun } from '../pipeline/support/run-context.ts';

const CANONICAL = '/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id';

function withBase(base: unknown): string {
  const data = minimalConfig();
  data.images = {
    'mentor-app': {
      base,
      regions: ['eu-west-1'],
      instanceType: 't3.large',
      subnets: ['subnet-0aa1111111111111a'],
      securityGroup: 'sg-0c1c1c1c1c1c1c1c1',
      ssh: { user: 'ubuntu', allowFrom: ['203.0.113.10/32'] },
      recipe: [{ name: 'install', run: 'echo install' }],
    },
  };
  return toYaml(data);
}

describe('base: an AWS public parameter in the config', () => {
  it('takes `ssm:NAME` and `ami-…` as short for the map, and the map itself', () => {
    expect(parseConfig(withBase(`ssm:${CANONICAL}`), {}).images['mentor-app']!.base).toEqual({ ssm: CANONICAL });
    expect(parseConfig(withBase({ ssm: CANONICAL }), {}).images['mentor-app']!.base).toEqual({ ssm: CANONICAL });
    expect(parseConfig(withBase('ami-0aaaaaaaaaaaaaaa1'), {}).images['mentor-app']!.base).toEqual({ ami: 'ami-0aaaaaaaaaaaaaaa1' });
  });

  it('says in one line what is wrong and what is valid', () => {
    expect(problemsOf(withBase('ssm:/prod/db-password'))).toEqual([
      `images.mentor-app.base.ssm: expected an AWS public parameter like ${CANONICAL}, got "/prod/db-password"`,
    ]);
    expect(problemsOf(withBase({ ssm: CANONICAL, ami: 'ami-0aaaaaaaaaaaaaaa1' }))).toEqual(['images.mentor-app.base: gives ami and ssm; give one of ami, name or ssm']);
    expect(problemsOf(withBase('ubuntu'))).toEqual(['images.mentor-app.base: expected a map with keys ami, name, owners, ssm, got "ubuntu"']);
  });
});

describe('resolveBaseAmi with a public parameter', () => {
  let t: TestRun;
  beforeEach(async () => {
    t = await createTestRun({
      configure: (c) => {
        // Baked where stg1's seeded AMI, subnets and group are.
        c.images['mentor-app']!.regions = [c.environments.stg1!.region];
        c.images['mentor-app']!.base = { ssm: CANONICAL };
      },
    });
  });
  afterEach(async () => {
    await t.close();
  });

  const image = () => t.config.images['mentor-app']!;

  it('reads it with GetParameter in the image’s first region and says where the id came from', async () => {
    const ssm = mockClient(t.aws.ssm(t.env.region));
    ssm.on(GetParameterCommand, { Name: CANONICAL }).resolves({ Parameter: { Name: CANONICAL, Value: 'ami-0abcdef0123456789', Version: 42 } });
    expect(await resolveBaseAmi(t.aws, image())).toEqual({ ami: 'ami-0abcdef0123456789', from: `${CANONICAL} version 42 (images.mentor-app.base.ssm)` });
    expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(1);
    expect(await t.aws.ssm(t.env.region).config.region()).toBe(t.env.region);
  });

  it('a missing parameter or a value that is no AMI id: one line naming the setting', async () => {
    const ssm = mockClient(t.aws.ssm(t.env.region));
    ssm.on(GetParameterCommand).rejectsOnce(new ParameterNotFound({ message: '', $metadata: {} })).resolves({ Parameter: { Name: CANONICAL, Value: 'not-an-ami' } });
    await expect(resolveBaseAmi(t.aws, image())).rejects.toThrow(
      new RegExp(`^no AWS public parameter ${CANONICAL} in ${t.env.region} \\(images\\.mentor-app\\.base\\.ssm\\); AWS lists them with \`aws ssm get-parameters-by-path --path /aws/service/canonical/ubuntu/server/24\\.04/stable/current/amd64/hvm/ebs-gp3\`$`),
    );
    await expect(resolveBaseAmi(t.aws, image())).rejects.toThrow(`the AWS public parameter ${CANONICAL} in ${t.env.region} (images.mentor-app.base.ssm) is "not-an-ami", not an AMI id`);
  });

  it("a bake's builder launches from the AMI the parameter names; a denied GetParameter fails the step naming the call", async () => {
    const ssm = mockClient(t.aws.ssm(t.env.region));
    ssm.on(GetParameterCommand).resolvesOnce({ Parameter: { Name: CANONICAL, Value: t.env.ami, Version: 7 } });
    const run = { ...t.run, kind: 'bake' as const, options: { browsers: [], image: 'mentor-app', ref: 'v2' } };
    const ctx: RunContext = { ...t.context(), run };
    const { outputs } = await launchStep.run(ctx);
    const instance = t.cloud.region(t.env.region).instances.get((outputs as { instanceId: string }).instanceId)!;
    expect(instance.imageId).toBe(t.env.ami);
    expect((outputs as { ami: string }).ami).toBe(t.env.ami);

    const t2 = await createTestRun({ cloud: t.cloud, configure: (c) => ((c.images['mentor-app']!.regions = [c.environments.stg1!.region]), (c.images['mentor-app']!.base = { ssm: CANONICAL })) });
    try {
      mockClient(t2.aws.ssm(t2.env.region)).on(GetParameterCommand).rejects(new SSMServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'not authorized to perform: ssm:GetParameter', $metadata: { httpStatusCode: 400 } }));
      const err = await launchStep.run({ ...t2.context(), run: { ...t2.run, kind: 'bake' as const, options: { browsers: [], image: 'mentor-app', ref: 'v2' } } }).catch((e: unknown) => e as Error);
      expect((err as Error).message).toMatch(new RegExp(`^GetParameter ${CANONICAL} \\(the base of mentor-app\\).*AccessDeniedException`));
      expect(t.cloud.callCount('RunInstances')).toBe(1);
    } finally {
      await t2.close();
    }
  });
});
