import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { inPoolHours } from '../../src/config/pool-fields.ts';
import { minimalConfig, problemsOf, toYaml } from './helpers.ts';

function withPool(pool: unknown, serviceUpdate: unknown = { full: [{ name: 'full', run: 'make deploy' }], warm: [{ name: 'warm', run: 'git pull' }] }) {
  const data = minimalConfig();
  data.environments.stg1.warmPool = pool;
  data.environments.stg1.serviceUpdate = serviceUpdate;
  return toYaml(data);
}

describe('warmPool and serviceUpdate.warm', () => {
  it('parses a pool with its defaults and splits the full and warm recipes', () => {
    const env = parseConfig(withPool({ size: 2, baseRef: 'main' })).environments.stg1!;
    expect(env.warmPool).toEqual({ size: 2, mode: 'stopped', maxAge: 24 * 3_600_000, baseRef: 'main' });
    expect(env.serviceUpdate.map((i) => i.name)).toEqual(['full']);
    expect(env.warmUpdate?.map((i) => i.name)).toEqual(['warm']);
  });

  it('keeps the plain list form: it is the full recipe and there is no pool', () => {
    const data = minimalConfig();
    data.environments.stg1.serviceUpdate = [{ name: 'a', run: 'true' }];
    const env = parseConfig(toYaml(data)).environments.stg1!;
    expect(env.serviceUpdate.map((i) => i.name)).toEqual(['a']);
    expect(env.warmUpdate).toBeUndefined();
    expect(env.warmPool).toBeUndefined();
  });

  it('refuses bad pool settings one line each, saying what is valid', () => {
    expect(problemsOf(withPool({ size: 0, mode: 'paused', maxAge: 'soon', baseRef: 'main; rm -rf /', hours: ['19-7 1-5'] }))).toEqual([
      'environments.stg1.warmPool.size: expected a pool size from 1 to 20, got 0',
      'environments.stg1.warmPool.mode: unknown pool mode "paused" (valid: stopped, running)',
      expect.stringMatching(/^environments\.stg1\.warmPool\.maxAge: expected .*got "soon"$/),
      'environments.stg1.warmPool.baseRef: expected a git ref like main, got "main; rm -rf /"',
      expect.stringMatching(/^environments\.stg1\.warmPool\.hours\.0: expected a window "FROM-TO DAYS" .*got "19-7 1-5"$/),
    ]);
  });

  it('refuses a pool without a warm recipe, and keeps item paths inside the map form', () => {
    expect(problemsOf(withPool({ size: 1, baseRef: 'main' }, [{ name: 'a', run: 'true' }]))).toEqual([
      'environments.stg1.serviceUpdate: warmPool needs a warm recipe: write serviceUpdate as a map with full (the recipe of today) and warm (what a claimed member runs)',
    ]);
    expect(problemsOf(withPool({ size: 1, baseRef: 'main' }, { full: [], warm: [{ name: 'x' }], cold: [] }))).toEqual([
      'environments.stg1.serviceUpdate.warm.0: needs run (a command) or waitHttp (a URL to wait for)',
      'environments.stg1.serviceUpdate.cold: unknown key (valid: full, warm)',
    ]);
  });

  it('reads hours windows in the given time zone', () => {
    const env = parseConfig(withPool({ size: 1, baseRef: 'main', hours: ['7-19 1-5', '10-12 0,6'] })).environments.stg1!;
    const hours = env.warmPool!.hours!;
    expect(hours).toEqual([{ from: 7, to: 19, days: [1, 2, 3, 4, 5] }, { from: 10, to: 12, days: [0, 6] }]);
    // Friday 2026-12-04 06:30 UTC is 07:30 in Berlin: inside there, outside in UTC.
    const fridayEarly = new Date('2026-12-04T06:30:00Z');
    expect(inPoolHours(hours, fridayEarly, 'Europe/Berlin')).toBe(true);
    expect(inPoolHours(hours, fridayEarly, 'UTC')).toBe(false);
    expect(inPoolHours(hours, new Date('2026-12-05T11:00:00Z'), 'UTC')).toBe(true); // Saturday 11:00
    expect(inPoolHours(hours, new Date('2026-12-05T15:00:00Z'), 'UTC')).toBe(false); // Saturday 15:00
    expect(inPoolHours(undefined, fridayEarly, 'UTC')).toBe(true);
  });
});

describe('warmPool and the SSH key of its members', () => {
  it('warns that a pool of an ephemeral-key environment needs STAGEBOT_HANDOVER_KEY; a named key needs nothing', async () => {
    const { configWarnings } = await import('../../src/config/index.ts');
    const [line, ...rest] = configWarnings(parseConfig(withPool({ size: 2, baseRef: 'main' })));
    expect(rest).toEqual([]);
    expect(line).toMatch(/^environments\.stg1\.warmPool: .*STAGEBOT_HANDOVER_KEY/);
    expect(line).not.toMatch(/not acted on yet/);
    const named = minimalConfig();
    named.environments.stg1.warmPool = { size: 1, baseRef: 'main' };
    named.environments.stg1.serviceUpdate = { full: [{ name: 'f', run: 'true' }], warm: [{ name: 'w', run: 'true' }] };
    named.environments.stg1.keyPair = 'staging';
    named.environments.stg1.ssh = { ...(named.environments.stg1.ssh ?? {}), privateKeyEnv: 'STG1_KEY' };
    expect(configWarnings(parseConfig(toYaml(named)))).toEqual([]);
    expect(configWarnings(parseConfig(toYaml(minimalConfig())))).toEqual([]);
  });
});
