// The artifacts section: defaults, sizes with units, S3 settings, and the rules that span fields.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { minimalConfig, problemsOf, toYaml } from './helpers.ts';

const MB = 1024 * 1024;
const DAY = 86_400_000;

function withArtifacts(artifacts: unknown) {
  return toYaml({ ...minimalConfig(), artifacts });
}

describe('artifacts config', () => {
  it('defaults to a local directory, 500MB a run, 14 days, links for 7 days', () => {
    const config = parseConfig(toYaml(minimalConfig()), {});
    expect(config.artifacts).toEqual({
      storage: 'local',
      dir: './data/artifacts',
      maxRunSize: 500 * MB,
      retention: 14 * DAY,
      linkTtl: 7 * DAY,
      linkSecretEnv: 'STAGEBOT_LINK_SECRET',
    });
  });

  it('reads sizes with units and S3 settings', () => {
    const config = parseConfig(
      withArtifacts({ storage: 's3', s3: { bucket: 'acme-artifacts', region: 'eu-west-1' }, maxRunSize: '1.5GB', retention: '30d', linkTtl: '2d' }),
      {},
    );
    expect(config.artifacts.maxRunSize).toBe(1.5 * 1024 * MB);
    expect(config.artifacts.s3).toEqual({ bucket: 'acme-artifacts', region: 'eu-west-1', prefix: 'stagebot/', forcePathStyle: false });
  });

  it('says what is wrong, one line each', () => {
    expect(problemsOf(withArtifacts({ storage: 's3' }))).toEqual([
      'artifacts.s3: storage s3 needs s3.bucket and s3.region (like { bucket: acme-stagebot-artifacts, region: eu-west-1 })',
    ]);
    expect(problemsOf(withArtifacts({ maxRunSize: 500 }))).toEqual(['artifacts.maxRunSize: expected a size like 200MB, 1GB or 512KB, got 500']);
    expect(problemsOf(withArtifacts({ maxRunSize: '10KB' }))).toEqual(['artifacts.maxRunSize: 10KB is too small (at least 1MB)']);
    expect(problemsOf(withArtifacts({ retention: '2d', linkTtl: '7d' }))).toEqual([
      'artifacts.linkTtl: 7d is longer than retention (2d): links would outlive the artifacts',
    ]);
    expect(problemsOf(withArtifacts({ storage: 'gcs' }))[0]).toMatch(/^artifacts\.storage: unknown artifact storage "gcs"/);
  });
});
