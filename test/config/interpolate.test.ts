import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { interpolate } from '../../src/config/interpolate.ts';
import { minimalConfig, problemsOf, toYaml } from './helpers.ts';

describe('interpolate', () => {
  it('replaces a set variable', () => {
    expect(interpolate('acct-${ACCOUNT}-x', { ACCOUNT: '42' })).toEqual({ value: 'acct-42-x', errors: [] });
  });

  it('keeps an empty value for ${VAR} but uses the default for ${VAR:-default}', () => {
    expect(interpolate('[${A}]', { A: '' }).value).toBe('[]');
    expect(interpolate('[${A:-dflt}]', { A: '' }).value).toBe('[dflt]');
    expect(interpolate('[${A:-dflt}]', {}).value).toBe('[dflt]');
    expect(interpolate('[${A:-dflt}]', { A: 'set' }).value).toBe('[set]');
    expect(interpolate('${A:-}', {}).value).toBe('');
  });

  it('turns $${ into a literal ${ and leaves $VAR, $$ and lone $ alone', () => {
    expect(interpolate('echo $${HOME} $HOME $$ costs $5', { HOME: '/root' })).toEqual({
      value: 'echo ${HOME} $HOME $$ costs $5',
      errors: [],
    });
  });

  it('names a missing variable and how to give it a default', () => {
    expect(interpolate('${NOPE}', {}).errors).toEqual([
      'environment variable NOPE is not set (set it, or write ${NOPE:-default})',
    ]);
  });

  it('refuses malformed references', () => {
    expect(interpolate('x ${OOPS', {}).errors).toEqual(['unclosed ${ (write ${VAR}, ${VAR:-default}, or $${ for a literal ${)']);
    expect(interpolate('${1BAD}', {}).errors[0]).toMatch(/^cannot read \$\{1BAD\}/);
    expect(interpolate('${A:-${B}}', {}).errors[0]).toMatch(/defaults cannot nest/);
  });
});

describe('interpolation in stagebot.yml', () => {
  it('reports a missing variable by the path where it is used, once', () => {
    const data = minimalConfig();
    data.aws.accountAllowlist = ['${AWS_ACCOUNT_ID}'];
    expect(problemsOf(toYaml(data))).toEqual([
      'aws.accountAllowlist.0: environment variable AWS_ACCOUNT_ID is not set (set it, or write ${AWS_ACCOUNT_ID:-default})',
    ]);
  });

  it('reports a variable inside an anchor where the anchor is written', () => {
    const text = `
x-ssh: &ssh
  user: \${SSH_USER}
  privateKeyEnv: STAGEBOT_SSH_KEY
  allowFrom: ["203.0.113.10/32"]
${toYaml({ ...minimalConfig(), environments: undefined })}
environments:
  stg1:
    region: eu-west-1
    ami: ami-0123456789abcdef0
    instanceType: t3.large
    subnets: [subnet-0aa1111111111111a]
    securityGroup: sg-0c1c1c1c1c1c1c1c1
    targetGroupArn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/stg1-web/0a1b2c3d4e5f6071
    ssh: *ssh
    url: https://stg1.example.com
`;
    expect(problemsOf(text)).toEqual([
      'x-ssh.user: environment variable SSH_USER is not set (set it, or write ${SSH_USER:-default})',
    ]);
    expect(parseConfig(text, { SSH_USER: 'admin' }).environments.stg1?.ssh.user).toBe('admin');
  });

  it('lets numbers and booleans come from the environment', () => {
    const data = minimalConfig();
    data.environments.stg1.ssh.port = '${SSH_PORT:-2222}';
    data.tests.workers = '${WORKERS}';
    data.github = { repositories: { 'acme/web': { allowForks: '${FORKS}' } } };
    const config = parseConfig(toYaml(data), { WORKERS: '5', FORKS: 'true' });
    expect(config.environments.stg1?.ssh.port).toBe(2222);
    expect(config.tests.workers).toBe(5);
    expect(config.github?.repositories['acme/web']?.allowForks).toBe(true);
  });

  it('validates the value after substitution', () => {
    const data = minimalConfig();
    data.environments.stg1.instanceType = '${INSTANCE_TYPE:-huge}';
    expect(problemsOf(toYaml(data))).toEqual([
      'environments.stg1.instanceType: expected an EC2 instance type like t3.2xlarge, got "huge"',
    ]);
  });

  it('keeps $${ as a literal ${ in the parsed value', () => {
    const data = minimalConfig();
    data.browsers = { chrome: { project: '$${literal}' } };
    expect(parseConfig(toYaml(data), {}).browsers.chrome?.project).toBe('${literal}');
  });
});
