// An in-process CLI's world: the engine harness' fake cloud and loopback sshd, and a stagebot.yml of
// its environments with the store in a temp directory (the CLI opens its own store from the file).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createWorld, startFixtures, type Fixtures, type World } from '../../pipeline/engine/harness.ts';

export interface CliWorld {
  fx: Fixtures;
  world: World;
  dir: string;
  configFile: string;
  close(): Promise<void>;
}

export async function cliWorld(opts: { envs?: number; prefix: string }): Promise<CliWorld> {
  const fx = await startFixtures();
  const dir = mkdtempSync(join(tmpdir(), opts.prefix));
  let data: Record<string, unknown> = {};
  const world = await createWorld(fx, { ...(opts.envs ? { envs: opts.envs } : {}), configData: (d) => void (data = d as Record<string, unknown>) });
  const configFile = join(dir, 'stagebot.yml');
  writeFileSync(configFile, stringify({ ...data, store: { sqlitePath: join(dir, 'stagebot.db') } }));
  return {
    fx,
    world,
    dir,
    configFile,
    async close() {
      await world.close();
      await fx.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
