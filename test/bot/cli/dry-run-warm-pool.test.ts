// `stagebot launch <env> --dry-run` end to end through the CLI's own services (src/app/open-commands.ts
// wires its store into the dry run): the warm-pool line names the ready member of the environment's
// AMI the launch would claim, as information (not a check the dry run passes or fails); an environment
// without a warmPool has no such line. In-process against the fake cloud.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../../src/app/cli.ts';
import { openStore } from '../../../src/store/index.ts';
import { createWorld, startFixtures, type Fixtures, type World } from '../../pipeline/engine/harness.ts';
import { capture } from './support.ts';

let fx: Fixtures;
let world: World;
let dir: string;
let configFile: string;
let ami: string;

beforeAll(async () => {
  fx = await startFixtures();
  dir = mkdtempSync(join(tmpdir(), 'stagebot-cli-dry-warm-'));
  let data: Record<string, any> = {};
  world = await createWorld(fx, {
    configData: (d) => {
      d.environments.stg1.warmPool = { size: 2, mode: 'stopped', maxAge: '24h', baseRef: 'main' };
      d.environments.stg1.serviceUpdate = { full: d.environments.stg1.serviceUpdate, warm: [{ name: 'restart', run: 'true' }] };
      data = d;
    },
  });
  const dbPath = join(dir, 'stagebot.db');
  configFile = join(dir, 'stagebot.yml');
  writeFileSync(configFile, stringify({ ...data, store: { sqlitePath: dbPath } }));
  ami = world.config.environments['stg1']!.ami;
  // A ready member built an hour ago, and one still preparing, in the CLI's own store.
  const store = await openStore({ sqlitePath: dbPath });
  const now = world.clock.now().getTime();
  await store.insertPoolMember({ id: 'pool-stg1-ready', env: 'stg1', region: world.config.environments['stg1']!.region, ami, baseRef: 'main', createdAt: new Date(now - 2 * 3_600_000) });
  await store.markPoolMemberReady('pool-stg1-ready', new Date(now - 3_600_000));
  await store.insertPoolMember({ id: 'pool-stg1-prep', env: 'stg1', region: world.config.environments['stg1']!.region, ami, baseRef: 'main', createdAt: new Date(now) });
  await store.close();
}, 60_000);

afterAll(async () => {
  await world?.close();
  await fx?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function dryRun(env: string, ...extra: string[]): Promise<{ code: number; out: string }> {
  const out = capture();
  const err = capture();
  const code = await runCli(['launch', env, '--dry-run', '--config', configFile, ...extra], {
    stdout: out.stream,
    stderr: err.stream,
    env: { USER: 'alice', STAGEBOT_CONFIG_CACHE: 'off' },
    overrides: { aws: world.aws, testRunner: world.testRunner, clock: world.clock },
  });
  return { code, out: out.text() };
}

test('launch --dry-run in the CLI names the member the launch would claim, from the store; nothing is claimed', async () => {
  const { code, out } = await dryRun('stg1');
  expect(out).toContain(`  i warm-pool: member pool-stg1-ready ready (built 1h ago from ${ami}), the launch would claim it\n`);
  expect(code).toBe(0);
  const json = await dryRun('stg1', '--output', 'json');
  const doc = JSON.parse(json.out);
  expect(doc.result.checks).toContainEqual({ check: 'warm-pool', ok: true, info: true, detail: `member pool-stg1-ready ready (built 1h ago from ${ami}), the launch would claim it` });
  expect(doc.ok).toBe(true);
  const store = await openStore({ sqlitePath: join(dir, 'stagebot.db') });
  try {
    expect((await store.listPoolMembers('stg1', ['ready'])).map((m) => m.id)).toEqual(['pool-stg1-ready']);
  } finally {
    await store.close();
  }
});

test('an environment without a warmPool: no warm-pool line', async () => {
  const { out } = await dryRun('stg2');
  expect(out).toContain('launch --dry-run on stg2');
  expect(out).not.toContain('warm-pool');
});
