// The CLI's cache of validated configs answers only for the very same inputs, never for an invalid
// file, and only from a directory that is this user's alone.
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigCache, configCacheDir } from '../../src/config/cache.ts';
import { EXAMPLE_CONFIG_PATH, loadConfig } from '../../src/config/load.ts';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../../src/errors.ts';

let dir: string;
let file: string;
const example = readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stagebot-config-cache-'));
  file = join(dir, 'stagebot.yml');
  writeFileSync(file, example);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cache(): ConfigCache {
  const c = ConfigCache.open(join(dir, 'cache'));
  if (!c) throw new Error('the test cache could not be opened');
  return c;
}

const load = (env: NodeJS.ProcessEnv = {}, c: ConfigCache | null = cache(), cwd = dir) => loadConfig({ path: file, env, cwd, cache: c });

describe('the config cache', () => {
  it('a second load of the same file comes from the cache, equal to a fresh parse', async () => {
    const first = await load();
    expect(first.fromCache).toBe(false);
    const second = await load();
    expect(second.fromCache).toBe(true);
    const fresh = await load({}, null);
    expect({ ...second, fromCache: false }).toEqual(fresh);
  });

  it('an edit, a named variable, or another working directory is a miss; an unnamed variable is not', async () => {
    const withVar = example.replace('installation: acme-staging', 'installation: ${STAGEBOT_TEST_INSTALLATION:-acme}');
    writeFileSync(file, withVar);
    expect((await load({ STAGEBOT_TEST_INSTALLATION: 'one' })).config.installation).toBe('one');
    expect((await load({ STAGEBOT_TEST_INSTALLATION: 'one', UNRELATED: 'x' })).fromCache).toBe(true);
    const other = await load({ STAGEBOT_TEST_INSTALLATION: 'two' });
    expect(other).toMatchObject({ fromCache: false, config: { installation: 'two' } });
    const unset = await load({});
    expect(unset).toMatchObject({ fromCache: false, config: { installation: 'acme' } });

    writeFileSync(file, `${withVar}\n# edited\n`);
    expect((await load({})).fromCache).toBe(false);
    mkdirSync(join(dir, 'elsewhere'));
    expect((await load({}, cache(), join(dir, 'elsewhere'))).fromCache).toBe(false);
  });

  it('an invalid file is never cached: its problems are shown every time', async () => {
    writeFileSync(file, 'installation: 42\n');
    await expect(load()).rejects.toBeInstanceOf(ConfigError);
    await expect(load()).rejects.toBeInstanceOf(ConfigError);
    expect(readdirSync(join(dir, 'cache'))).toEqual([]);
  });

  it('a damaged entry is a miss, and is replaced', async () => {
    await load();
    const [entry] = readdirSync(join(dir, 'cache'));
    writeFileSync(join(dir, 'cache', entry!), 'not what was written');
    expect((await load()).fromCache).toBe(false);
    expect((await load()).fromCache).toBe(true);
  });

  it('a directory others may open is not used', () => {
    const open = join(dir, 'open');
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    expect(ConfigCache.open(open)).toBeNull();
    const mine = ConfigCache.open(join(dir, 'mine'));
    expect(mine).not.toBeNull();
  });

  it('lives under STAGEBOT_CONFIG_CACHE, XDG_CACHE_HOME or HOME, and `off` turns it off', () => {
    expect(configCacheDir({ STAGEBOT_CONFIG_CACHE: '/x/y' })).toBe('/x/y');
    expect(configCacheDir({ STAGEBOT_CONFIG_CACHE: 'off', HOME: '/home/a' })).toBeNull();
    expect(configCacheDir({ XDG_CACHE_HOME: '/c', HOME: '/home/a' })).toBe('/c/stagebot');
    expect(configCacheDir({ HOME: '/home/a' })).toBe('/home/a/.cache/stagebot');
    expect(configCacheDir({})).toBeNull();
  });
});
