import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { minimalConfig, problemsOf, toYaml } from './helpers.ts';

const broken = readFileSync(join(import.meta.dirname, 'fixtures', 'broken.yml'), 'utf8');

describe('parseConfig: a file with many mistakes', () => {
  it('lists every problem by path, in file order', () => {
    expect(problemsOf(broken)).toEqual([
      'installation: expected a tag-safe name like acme-staging (letters, digits, . _ -, at most 63), got "acme staging"',
      'aws.accountAllowlist.0: expected a 12-digit AWS account id in quotes, like "123456789012", got "12345"',
      'runs.keepDefault: 2d is longer than runs.keepMax (1d); make it at most that',
      'environments.stg1.instanceType: missing (expected an EC2 instance type like t3.2xlarge)',
      'environments.stg1.instanceTyp: unknown key (did you mean instanceType?)',
      'environments.stg1.targetGroupArn: target group is in eu-west-1 but the environment is in us-east-1 (use a target group in us-east-1)',
      'environments.stg1.ssh.allowFrom.0: "10.0.0.5/24" has host bits set (did you mean 10.0.0.0/24 or 10.0.0.5/32?)',
      'environments.stg2.instanceType: expected an EC2 instance type like t3.2xlarge, got "huge"',
      'environments.stg2.rootVolume.type: unknown volume type "gp9" (valid: gp2, gp3, io1, io2, st1, sc1, standard)',
      'environments.stg2.subnets: list at least one (subnet ids like subnet-0aa1111111111111a)',
      'environments.stg2.ssh.allowFrom.0: "10.0.0.5/24" has host bits set (did you mean 10.0.0.0/24 or 10.0.0.5/32?)',
      'environments.stg2.serviceUpdate.0: has both run and waitHttp (split it into two items)',
      'pool.2: unknown environment "stg7" (known: stg1, stg2)',
      'defaultBrowsers.0: unknown browser "opera" (known: chrome)',
      'tests.runner.kind: unknown kind "docker" (valid: command, github-workflow)',
      'sweeper.schedule: invalid cron schedule "0 25 * * *": 25 is an invalid expression for hour (valid: minute hour day-of-month month day-of-week, like "0 7 * * 1-5")',
      'sweeper.timeZone: unknown time zone "Mars/Olympus" (expected an IANA time zone like Europe/Berlin or UTC)',
    ]);
  });

  it('throws a ConfigError whose message is a one-line count', () => {
    const err = (() => {
      try {
        parseConfig(broken, {}, 'broken.yml');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe('broken.yml has 17 problems');
    expect((err as ConfigError).problems).toHaveLength(17);
  });
});

describe('parseConfig: single rules', () => {
  it('suggests the key a typo meant, or lists the valid ones', () => {
    const data = minimalConfig();
    data.environments.stg1.subnet = data.environments.stg1.subnets;
    delete data.environments.stg1.subnets;
    data.tests.wrokers = 4;
    data.sweeper = { zzz: 1 };
    expect(problemsOf(toYaml(data))).toEqual([
      'environments.stg1.subnets: missing (expected a list of subnet ids like subnet-0aa1111111111111a)',
      'environments.stg1.subnet: unknown key (did you mean subnets?)',
      'tests.wrokers: unknown key (did you mean workers?)',
      'sweeper.zzz: unknown key (valid: schedule, timeZone, reportChannel, gracePeriod, reapLimit, protectTag, amiMinAge, amiKeepNewest)',
    ]);
  });

  it('ignores top-level x- keys but not unknown top-level keys', () => {
    const data = { 'x-anything': { a: 1 }, ...minimalConfig(), enviroments: {} };
    expect(problemsOf(toYaml(data))).toEqual(['enviroments: unknown key (did you mean environments?)']);
  });

  it('reports a YAML syntax error as one problem with line and column', () => {
    const text = 'installation: a\naws:\n  accountAllowlist: [1\nenvironments: {}\n';
    expect(problemsOf(text)).toEqual([
      'stagebot.yml:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(() => parseConfig(text, {}, 'my.yml')).toThrow('my.yml is not valid YAML');
  });

  it('reports duplicate keys as a YAML error', () => {
    expect(problemsOf('installation: a\ninstallation: b\n')).toEqual(['stagebot.yml:2:1: Map keys must be unique']);
  });

  it('refuses an empty file and a file that is not a map', () => {
    expect(problemsOf('# nothing yet\n')).toEqual(['stagebot.yml: the file is empty (start from stagebot.example.yml)']);
    expect(problemsOf('- a\n')[0]).toMatch(/^\(top level\): expected a map with keys installation, aws, .*, got a list$/);
  });

  it('checks that pools and browser lists name things that exist', () => {
    const data = minimalConfig();
    data.pool = ['stg1', 'stg1', 'stg9'];
    data.github = { repositories: { 'acme/web': { pool: ['stg2'], browsers: ['chrome', 'firefox'] } } };
    expect(problemsOf(toYaml(data))).toEqual([
      'pool.1: "stg1" is listed twice',
      'pool.2: unknown environment "stg9" (known: stg1)',
      'github.repositories.acme/web.pool.0: unknown environment "stg2" (known: stg1)',
      'github.repositories.acme/web.browsers.1: unknown browser "firefox" (known: chrome)',
    ]);
  });

  it('requires simple names for environments and browsers', () => {
    const data = minimalConfig();
    data.environments.Stg_1 = data.environments.stg1;
    data.browsers['google chrome'] = {};
    expect(problemsOf(toYaml(data))).toEqual([
      'environments.Stg_1: expected a name like stg1 (a-z, 0-9 and -, starting with a letter, at most 32), got "Stg_1"',
      'browsers.google chrome: expected a name like chrome (a-z, 0-9 and -, starting with a letter, at most 32), got "google chrome"',
    ]);
  });

  it('refuses an invalid cron schedule and time zone, and spells a valid zone canonically', () => {
    const data = minimalConfig();
    data.sweeper = { schedule: 'every morning', timeZone: 'Europe/Berln' };
    expect(problemsOf(toYaml(data))).toEqual([
      'sweeper.schedule: invalid cron schedule "every morning": expected 5 or 6 fields but got 2 (valid: minute hour day-of-month month day-of-week, like "0 7 * * 1-5")',
      'sweeper.timeZone: unknown time zone "Europe/Berln" (expected an IANA time zone like Europe/Berlin or UTC)',
    ]);
    data.sweeper = { schedule: '30 6 * * MON-FRI', timeZone: 'europe/berlin' };
    expect(parseConfig(toYaml(data), {}).sweeper).toMatchObject({ schedule: '30 6 * * MON-FRI', timeZone: 'Europe/Berlin' });
  });

  it('parses durations into milliseconds and refuses what is not one', () => {
    const data = minimalConfig();
    data.runs = { keepDefault: '90m', keepMax: '1d12h', timeout: '1h30m', stepTimeouts: { launch: '45s' } };
    const runs = parseConfig(toYaml(data), {}).runs;
    expect(runs).toMatchObject({ keepDefault: 5_400_000, keepMax: 129_600_000, timeout: 5_400_000 });
    expect(runs.stepTimeouts.launch).toBe(45_000);
    expect(runs.stepTimeouts.teardown).toBe(20 * 60_000);

    data.runs = { keepDefault: 10, timeout: '3 hours', leaseTtl: '0m', stepTimeouts: { lanch: '5m' } };
    expect(problemsOf(toYaml(data))).toEqual([
      'runs.keepDefault: expected a duration like 90m, 2h, 1d or 1h30m, got 10',
      'runs.timeout: expected a duration like 90m, 2h, 1d or 1h30m, got "3 hours"',
      'runs.leaseTtl: expected a duration like 90m, 2h, 1d or 1h30m, got "0m"',
      'runs.stepTimeouts.lanch: unknown key (did you mean launch?)',
    ]);
  });

  it('runs.leaseTtl: 3s to 1h, so the heartbeat (a third of it, at most once a second) always renews it in time', () => {
    const data = minimalConfig();
    data.runs = { leaseTtl: '3s' };
    expect(parseConfig(toYaml(data), {}).runs.leaseTtl).toBe(3_000);
    data.runs = { leaseTtl: '1s' };
    expect(problemsOf(toYaml(data))).toEqual([expect.stringMatching(/^runs\.leaseTtl: 1\.0s is out of range: .* \(valid: 3\.0s to 1h\)$/)]);
    data.runs = { leaseTtl: '2h' };
    expect(problemsOf(toYaml(data))).toEqual([expect.stringMatching(/^runs\.leaseTtl: 2h is out of range: .* \(valid: 3\.0s to 1h\)$/)]);
  });

  it('ssh.authFailFast: 2m by default, at most 1h, and shorter than the wait-ssh timeout', () => {
    const data = minimalConfig();
    expect(parseConfig(toYaml(data), {}).environments.stg1!.ssh.authFailFast).toBe(120_000);
    data.environments.stg1.ssh.authFailFast = '2h';
    data.environments.stg2 = { ...data.environments.stg1, ssh: { ...data.environments.stg1.ssh, authFailFast: '15m' } };
    expect(problemsOf(toYaml(data))).toEqual([
      'environments.stg1.ssh.authFailFast: 2h is too long: a key refused that long is never a slow boot (at most 1h)',
      'environments.stg2.ssh.authFailFast: 15m is not shorter than runs.stepTimeouts.wait-ssh (10m), so it would never end the wait early (make it shorter)',
    ]);
    data.environments.stg1.ssh.authFailFast = 'soon';
    expect(problemsOf(toYaml(data))[0]).toBe('environments.stg1.ssh.authFailFast: expected a duration like 90m, 2h, 1d or 1h30m, got "soon"');
  });

  it('fills the defaults the example relies on', () => {
    const config = parseConfig(toYaml(minimalConfig()), {});
    expect(config.store.sqlitePath).toBe('./data/stagebot.db');
    expect(config.aws.extraRegions).toEqual([]);
    expect(config.runs).toMatchObject({ keepDefault: 7_200_000, keepMax: 86_400_000, leaseTtl: 120_000, onAdopt: 'teardown' });
    expect(config.tests).toMatchObject({ workers: 3, retries: 2, maxWait: 5_400_000 });
    expect(config.tests.prepare).toBeUndefined();
    expect(config.sweeper).toEqual({
      schedule: '0 7 * * 1-5',
      timeZone: 'UTC',
      gracePeriod: 86_400_000,
      reapLimit: 25,
      protectTag: { key: 'stagebot:keep', value: 'true' },
      amiMinAge: 14 * 86_400_000,
      amiKeepNewest: 3,
    });
    const env = config.environments.stg1!;
    expect(env.rootVolume).toEqual({ sizeGb: 200, type: 'gp3' });
    expect(env).toMatchObject({ keyPair: 'ephemeral', serviceUpdate: [] });
    expect(env.ssh).toMatchObject({ host: '{publicIp}', port: 22 });
    expect(config.pool).toEqual(['stg1']);
    expect(config.defaultBrowsers).toEqual(['chrome']);
    expect(config.slack).toBeUndefined();
    expect(config.github).toBeUndefined();
    expect(config.pricing).toBeUndefined();
  });

  it('checks AWS ids, regions and the target group region', () => {
    const data = minimalConfig();
    Object.assign(data.environments.stg1, {
      region: 'eu-wset-1',
      ami: 'ami-12345',
      securityGroup: 'sg-xyz',
      subnets: ['subnet-0aa1111111111111a', 'subnet-nope'],
      targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/0a1b2c3d4e5f6071',
    });
    data.aws.extraRegions = ['mars-1'];
    data.aws.accountAllowlist = [123456789012];
    expect(problemsOf(toYaml(data))).toEqual([
      'aws.accountAllowlist.0: expected a 12-digit AWS account id in quotes, like "123456789012", got 123456789012',
      'aws.extraRegions.0: expected an AWS region like eu-west-1, got "mars-1"',
      'environments.stg1.region: expected an AWS region like eu-west-1, got "eu-wset-1"',
      'environments.stg1.ami: expected an AMI id like ami-0a1b2c3d4e5f60001, got "ami-12345"',
      'environments.stg1.subnets.1: expected a subnet id like subnet-0aa1111111111111a, got "subnet-nope"',
      'environments.stg1.securityGroup: expected a security group id like sg-0c1c1c1c1c1c1c1c1, got "sg-xyz"',
      'environments.stg1.targetGroupArn: expected a target group ARN like arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0a1b2c3d4e5f6071, got "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadb..."',
    ]);
  });

  it('checks SSH settings without echoing what might be a secret', () => {
    const data = minimalConfig();
    data.environments.stg1.ssh = {
      user: 'ubuntu',
      privateKeyEnv: '-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA',
      host: 'not a host!',
      port: 70000,
      allowFrom: ['0.0.0.0/0', '10.1.2.3', '300.1.1.1/32', '10.0.0.0/8'],
    };
    const problems = problemsOf(toYaml(data));
    expect(problems).toEqual([
      'environments.stg1.ssh.privateKeyEnv: expected the name of an environment variable like STAGEBOT_SSH_KEY (the secret itself never belongs in this file)',
      'environments.stg1.ssh.host: expected {publicIp}, {privateIp} or a host name, got "not a host!"',
      'environments.stg1.ssh.port: expected a port from 1 to 65535, got 70000',
      'environments.stg1.ssh.allowFrom.0: "0.0.0.0/0" opens SSH to the whole internet (list the addresses stagebot connects from, like 203.0.113.10/32)',
      'environments.stg1.ssh.allowFrom.1: expected an IPv4 CIDR like 203.0.113.10/32, got "10.1.2.3"',
      'environments.stg1.ssh.allowFrom.2: expected an IPv4 CIDR like 203.0.113.10/32, got "300.1.1.1/32"',
    ]);
    expect(problems.join('\n')).not.toContain('BEGIN');
  });

  it('checks recipe items, runners and Slack ids', () => {
    const data = minimalConfig();
    data.environments.stg1.serviceUpdate = [
      { name: 'nothing to do' },
      { name: 'wait', waitHttp: { url: 'ftp://localhost/health', status: 999 } },
      { name: 'ok', run: 'true', continueOnError: 'yes' },
    ];
    data.tests.runner = { kind: 'github-workflow', repository: 'acme', workflow: 'e2e.yml' };
    data.slack = { channels: ['#staging'], admins: { users: ['S0PLATFORM'] }, allow: { lock: { userGroups: ['U123'] } } };
    expect(problemsOf(toYaml(data))).toEqual([
      'environments.stg1.serviceUpdate.0: needs run (a command) or waitHttp (a URL to wait for)',
      'environments.stg1.serviceUpdate.1.waitHttp.url: expected an http(s) URL like http://localhost:8080/health, got "ftp://localhost/health"',
      'environments.stg1.serviceUpdate.1.waitHttp.status: expected an HTTP status like 200, got 999',
      'environments.stg1.serviceUpdate.2.continueOnError: expected true or false, got "yes"',
      // A missing key is listed where its map begins.
      'tests.runner.ref: missing (expected a branch, tag or commit like main)',
      'tests.runner.repository: expected a GitHub repository like acme/webapp, got "acme"',
      'slack.channels.0: expected a Slack channel id like C0123STAGING, got "#staging"',
      'slack.admins.users.0: expected a Slack user id like U0PLATFORM1, got "S0PLATFORM"',
      'slack.allow.lock.userGroups.0: expected a Slack user group id like S0PLATFORM, got "U123"',
    ]);
  });

  it('expands a big recipe anchor shared by many environments (beyond the yaml alias limit)', () => {
    const items = Array.from({ length: 40 }, (_, i) => `  - { name: step ${i}, run: "true", onFailure: *restart }`);
    const envs = Array.from({ length: 12 }, (_, i) =>
      [
        `  e${i}:`,
        '    region: eu-west-1',
        '    ami: ami-0123456789abcdef0',
        '    instanceType: t3.large',
        '    subnets: [subnet-0aa1111111111111a]',
        '    securityGroup: sg-0c1c1c1c1c1c1c1c1',
        '    targetGroupArn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0a1b2c3d4e5f6071',
        '    ssh: { user: ubuntu, privateKeyEnv: KEY, allowFrom: [203.0.113.10/32] }',
        '    url: https://e.example.com',
        '    serviceUpdate: *recipe',
      ].join('\n'),
    );
    const { environments: _, ...rest } = minimalConfig();
    const text = ['x-restart: &restart sudo systemctl restart app', 'x-recipe: &recipe', ...items, 'environments:', ...envs, toYaml(rest)].join('\n');
    const config = parseConfig(text, {});
    expect(Object.keys(config.environments)).toHaveLength(12);
    expect(config.environments.e11?.serviceUpdate[39]).toMatchObject({ name: 'step 39', onFailure: 'sudo systemctl restart app' });
  });

  it('supports YAML merge keys for shared settings with per-environment overrides', () => {
    const { environments: _, ...rest } = minimalConfig();
    const text = `
x-env: &env
  region: eu-west-1
  ami: ami-0123456789abcdef0
  instanceType: t3.large
  subnets: [subnet-0aa1111111111111a]
  securityGroup: sg-0c1c1c1c1c1c1c1c1
  targetGroupArn: arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0a1b2c3d4e5f6071
  ssh: { user: ubuntu, privateKeyEnv: KEY, allowFrom: [203.0.113.10/32] }
environments:
  stg1:
    <<: *env
    url: https://stg1.example.com
  stg2:
    <<: *env
    instanceType: m7i.xlarge
    url: https://stg2.example.com
    instanceTyp: oops
${toYaml(rest)}`;
    expect(problemsOf(text)).toEqual(['environments.stg2.instanceTyp: unknown key (did you mean instanceType?)']);
    const config = parseConfig(text.replace('    instanceTyp: oops\n', ''), {});
    expect(config.environments.stg1?.instanceType).toBe('t3.large');
    expect(config.environments.stg2?.instanceType).toBe('m7i.xlarge');
    expect(config.environments.stg2?.ami).toBe('ami-0123456789abcdef0');
  });

  it('accepts a GitHub workflow runner and pricing overrides', () => {
    const data = minimalConfig();
    data.tests.runner = { kind: 'github-workflow', repository: 'acme/e2e', workflow: 'playwright.yml', ref: 'main' };
    data.pricing = { instances: { 'eu-west-1': { 't3.large': 0.0912 } }, ebsGbMonth: { gp3: 0.088 }, publicIpv4Hour: '0.005' };
    expect(problemsOf(toYaml({ ...data, pricing: { ebsGbMonth: { gp4: 1 }, snapshotGbMonth: -1 } }))).toEqual([
      'pricing.ebsGbMonth.gp4: unknown key (did you mean gp2?)',
      'pricing.snapshotGbMonth: expected a price in USD like 0.3648, got -1',
    ]);
    const config = parseConfig(toYaml(data), {});
    expect(config.tests.runner).toEqual({ kind: 'github-workflow', repository: 'acme/e2e', workflow: 'playwright.yml', ref: 'main' });
    expect(config.pricing).toEqual({ instances: { 'eu-west-1': { 't3.large': 0.0912 } }, ebsGbMonth: { gp3: 0.088 }, publicIpv4Hour: 0.005 });
  });
});
