// The one environment every bench launches into (stg1 on the fake cloud); each bench adds the
// browsers and the front it needs.
import { stringify } from 'yaml';
import { parseConfig, type Config } from '../src/config/index.ts';

/** `extra` is merged at the top level of the YAML data: `browsers`, `github`, `slack`, … */
export function benchConfig(extra: Record<string, unknown>): Config {
  return parseConfig(
    stringify({
      installation: 'bench',
      aws: { accountAllowlist: ['123456789012'] },
      environments: {
        stg1: {
          region: 'eu-west-1',
          ami: 'ami-0e1f2a3b4c5d60001',
          instanceType: 't3.2xlarge',
          subnets: ['subnet-0cc3333333333333c'],
          securityGroup: 'sg-0c1c1c1c1c1c1c1c1',
          targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/stg1-web/0a1b2c3d4e5f6071',
          keyPair: 'staging-eu',
          ssh: { user: 'ubuntu', privateKeyEnv: 'STAGEBOT_SSH_KEY', allowFrom: ['203.0.113.10/32'] },
          url: 'https://stg1.staging.example.com',
        },
      },
      tests: { runner: { kind: 'command', command: 'true' } },
      ...extra,
    }),
    {},
  );
}
