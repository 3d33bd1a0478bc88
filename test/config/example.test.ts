import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH, allRegions, configWarnings, parseConfig, summarizeConfig } from '../../src/config/index.ts';

const example = readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');

describe('stagebot.example.yml', () => {
  it('parses without AWS_ACCOUNT_ID, using the default in the file', () => {
    const config = parseConfig(example, {});
    expect(config.aws.accountAllowlist).toEqual(['123456789012']);
    expect(Object.keys(config.environments)).toEqual(['stg1', 'stg2', 'stg3', 'stg4']);
    expect(config.pool).toEqual(['stg1', 'stg2', 'stg3', 'stg4']);
  });

  it('takes the account from AWS_ACCOUNT_ID when it is set', () => {
    const config = parseConfig(example, { AWS_ACCOUNT_ID: '210987654321', E2E_IMAGE_VERSION: 'v7' });
    expect(config.aws.accountAllowlist).toEqual(['210987654321']);
    expect(config.tests.prepare?.cacheKey).toBe('e2e-image-v7');
  });

  it('expands the anchors into every environment and keeps durations in milliseconds', () => {
    const config = parseConfig(example, {});
    const stg3 = config.environments.stg3!;
    expect(stg3).toMatchObject({ name: 'stg3', region: 'eu-west-1', keyPair: 'staging-eu' });
    expect(stg3.ssh).toEqual({
      user: 'ubuntu',
      privateKeyEnv: 'STAGEBOT_SSH_KEY',
      host: '{publicIp}',
      port: 22,
      allowFrom: ['203.0.113.10/32'],
      authFailFast: 120_000,
    });
    expect(stg3.serviceUpdate).toHaveLength(6);
    expect(stg3.serviceUpdate[0]).toMatchObject({ run: 'cd /srv/app && docker compose pull --quiet', timeout: 600_000, retries: 2 });
    expect(stg3.serviceUpdate[4]).toMatchObject({
      waitHttp: { url: 'http://localhost:3001/', status: 200, retries: 40, interval: 15_000 },
      onFailure: 'sudo systemctl restart mentor-spa',
      retries: 1,
    });
    // The host's shell expands $STAGEBOT_REF; stagebot leaves it alone.
    expect(stg3.serviceUpdate[1]?.run).toBe('cd /srv/app && ./scripts/deploy-ref.sh "$STAGEBOT_REF"');
    expect(config.runs.stepTimeouts['service-update']).toBe(45 * 60_000);
    expect(config.sweeper).toMatchObject({ timeZone: 'Europe/Berlin', gracePeriod: 86_400_000, amiMinAge: 14 * 86_400_000 });
    expect(config.tests.maxWait).toBe(90 * 60_000);
  });

  it('fills per-repository GitHub settings from the top level', () => {
    const config = parseConfig(example, {});
    expect(config.github?.repositories['acme/webapp']).toEqual({ pool: ['stg1', 'stg2'], browsers: ['chrome', 'firefox'], allowForks: false });
    expect(config.github?.repositories['acme/mentor-spa']).toEqual({ pool: ['stg3', 'stg4'], browsers: ['chrome'], allowForks: false });
    expect(config.browsers.firefox).toEqual({ name: 'firefox', project: 'firefox', testUser: { username: 'qa-firefox@acme.example', passwordEnv: 'STAGEBOT_TEST_PASSWORD_FIREFOX' } });
  });

  it('lists every region once, sorted', () => {
    expect(allRegions(parseConfig(example, {}))).toEqual(['eu-west-1', 'us-east-1']);
  });

  it('has nothing to warn about', () => {
    expect(configWarnings(parseConfig(example, {}))).toEqual([]);
  });

  it('summarizes the file on one screen', () => {
    const summary = summarizeConfig({ config: parseConfig(example, {}), path: EXAMPLE_CONFIG_PATH, usingExample: true });
    for (const env of ['stg1', 'stg2', 'stg3', 'stg4']) expect(summary).toMatch(new RegExp(`^  ${env} `, 'm'));
    expect(summary).toContain('  stg3  eu-west-1  t3.2xlarge  ami-0e1f2a3b4c5d60003  https://stg3.staging.acme.example');
    expect(summary).toContain('cp stagebot.example.yml stagebot.yml');
    expect(summary).toContain('acme-staging');
    expect(summary).toContain('123456789012');
    expect(summary).toContain('0 7 * * 1-5 (Europe/Berlin)');
    expect(summary).toContain('reap limit 25');
    expect(summary).toContain('slack (1 channel, 2 admin entries)');
    expect(summary).toContain('github (2 repositories: acme/webapp, acme/mentor-spa)');
    expect(summary.split('\n').length).toBeLessThan(25);
  });
});
