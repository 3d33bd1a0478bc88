// A small valid stagebot.yml as data, so each test can break exactly one thing.

import { stringify } from 'yaml';
import { ConfigError } from '../../src/errors.ts';
import { parseConfig } from '../../src/config/index.ts';

export function minimalConfig(): Record<string, any> {
  return {
    installation: 'test-install',
    aws: { accountAllowlist: ['123456789012'] },
    environments: {
      stg1: {
        region: 'eu-west-1',
        ami: 'ami-0123456789abcdef0',
        instanceType: 't3.large',
        subnets: ['subnet-0aa1111111111111a'],
        securityGroup: 'sg-0c1c1c1c1c1c1c1c1',
        targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/stg1-web/0a1b2c3d4e5f6071',
        ssh: { user: 'ubuntu', privateKeyEnv: 'STAGEBOT_SSH_KEY', allowFrom: ['203.0.113.10/32'] },
        url: 'https://stg1.example.com',
      },
    },
    browsers: { chrome: { project: 'chromium' } },
    tests: { runner: { kind: 'command', command: 'npx playwright test' } },
  };
}

export function toYaml(data: unknown): string {
  return stringify(data);
}

/** The problem lines of a config that must not parse. */
export function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected the config to be rejected, but it parsed');
}
