import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG_PATH, exampleWarning, loadConfig, summarizeConfig } from '../../src/config/index.ts';
import { ConfigError } from '../../src/errors.ts';
import { minimalConfig, toYaml } from './helpers.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagebot-config-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('loadConfig', () => {
  it('falls back to the bundled example when ./stagebot.yml does not exist', async () => {
    const loaded = await loadConfig({ cwd: dir, env: {} });
    expect(loaded.usingExample).toBe(true);
    expect(loaded.path).toBe(EXAMPLE_CONFIG_PATH);
    expect(loaded.config.installation).toBe('acme-staging');
    expect(summarizeConfig(loaded)).toContain('cp stagebot.example.yml stagebot.yml');
    expect(exampleWarning()).toContain('cp stagebot.example.yml stagebot.yml');
  });

  it('reads ./stagebot.yml from the working directory, with the given environment', async () => {
    const data = minimalConfig();
    data.installation = '${INSTALL_NAME}';
    await writeFile(join(dir, 'stagebot.yml'), toYaml(data));
    const loaded = await loadConfig({ cwd: dir, env: { INSTALL_NAME: 'from-env' } });
    expect(loaded).toMatchObject({ path: join(dir, 'stagebot.yml'), usingExample: false });
    expect(loaded.config.installation).toBe('from-env');
  });

  it('prefers an explicit path, then STAGEBOT_CONFIG, resolving relative paths from the working directory', async () => {
    const one = { ...minimalConfig(), installation: 'one' };
    const two = { ...minimalConfig(), installation: 'two' };
    await writeFile(join(dir, 'one.yml'), toYaml(one));
    await writeFile(join(dir, 'two.yml'), toYaml(two));
    await writeFile(join(dir, 'stagebot.yml'), 'not: [valid');
    const env = { STAGEBOT_CONFIG: 'two.yml' };
    expect((await loadConfig({ cwd: dir, env, path: 'one.yml' })).config.installation).toBe('one');
    const fromEnv = await loadConfig({ cwd: dir, env });
    expect(fromEnv.config.installation).toBe('two');
    expect(fromEnv.path).toBe(join(dir, 'two.yml'));
  });

  it('refuses an explicit path that does not exist instead of falling back', async () => {
    const missing = join(dir, 'x.yml');
    const err = await rejection(loadConfig({ cwd: dir, env: {}, path: missing }));
    expect(err.message).toBe(`--config ${missing}: file not found`);
    const viaEnv = await rejection(loadConfig({ cwd: dir, env: { STAGEBOT_CONFIG: 'nope.yml' } }));
    expect(viaEnv.message).toBe('STAGEBOT_CONFIG=nope.yml: file not found');
  });

  it('says so when the path is a directory', async () => {
    await mkdir(join(dir, 'conf'));
    const err = await rejection(loadConfig({ cwd: dir, env: {}, path: 'conf' }));
    expect(err.message).toBe('--config conf: is a directory, not a file');
  });

  it('names the file in the summary of an invalid config', async () => {
    const data = minimalConfig();
    data.pool = ['stg1', 'stg5'];
    data.tests.workers = 0;
    await writeFile(join(dir, 'stagebot.yml'), toYaml(data));
    const err = await rejection(loadConfig({ cwd: dir, env: {} }));
    expect(err.message).toBe('stagebot.yml has 2 problems');
    expect(err.problems).toEqual([
      'tests.workers: expected a whole number from 1 to 64, got 0',
      'pool.1: unknown environment "stg5" (known: stg1)',
    ]);
  });
});
