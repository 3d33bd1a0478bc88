// Fencing across processes (issue 10.2), against moto over HTTP and the real sshd: a `stagebot launch`
// is frozen with SIGSTOP (a sleeping laptop, a frozen container) past its lease; another `stagebot`
// command, finding no server, adopts the run and tears it down; then the frozen one is let go
// (SIGCONT). moto's recorder shows every call it receives with the access key that signed it: the
// stale process makes no mutating call after it wakes, and nothing of the run is left.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtures, type Fixtures } from '../pipeline/engine/harness.ts';
import { BIN } from '../bot/cli/support.ts';
import { isMutating, leftovers, motoAvailable, processEnv, seed, startMoto, writeConfig, type Moto } from './support/moto-world.ts';

const available = await motoAvailable();

let fx: Fixtures;
let moto: Moto;
let dir: string;
let config: string;

beforeAll(async () => {
  if (!available) return;
  fx = await startFixtures();
  moto = await startMoto();
  dir = mkdtempSync(join(tmpdir(), 'stagebot-paused-cli-'));
  const envs = await seed(moto, ['stg1']);
  // service-update takes a while: the launch is frozen there, and wakes with register (mutations) next.
  config = writeConfig(dir, fx, envs, { leaseTtl: '3s', recipe: [{ name: 'migrate', run: 'sleep 2; echo migrated' }] });
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  await fx?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function stagebot(args: string[], accessKey: string) {
  const proc = spawn(process.execPath, [BIN, ...args, '--config', config], { cwd: dir, env: processEnv(moto, fx, accessKey), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, exit, out: () => out, err: () => err };
}

async function waitFor(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.skipIf(!available)('a paused CLI launch (SIGSTOP) after another process adopted its run', () => {
  it('wakes fenced: 0 AWS mutations from it, nothing leaked', async () => {
    const stale = stagebot(['launch', 'stg1'], 'AKIDSTALELAUNCH');
    let runId = '';
    try {
      await waitFor(() => /service-update started/.test(stale.err()), 'service-update to start');
      runId = /(stg1-\d{8}-[0-9a-f]{6}) service-update started/.exec(stale.err())![1]!;
      stale.proc.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 4_500)); // past the 3 s lease

      const adopter = stagebot(['list'], 'AKIDADOPTER');
      expect(await adopter.exit).toBe(0);
      expect(adopter.err()).toContain(`stagebot: run ${runId} was left running`);
      expect(adopter.err()).toMatch(new RegExp(`stagebot: run ${runId} finished at .*: failed — interrupted`));
      expect(await leftovers(moto, runId)).toEqual([]);

      await moto.startRecording();
      stale.proc.kill('SIGCONT');
      const code = await Promise.race([stale.exit, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
      expect(code).toBe(1);
      const calls = await moto.recording();
      expect(calls.filter((c) => c.accessKey === 'AKIDSTALELAUNCH' && isMutating(c.action))).toEqual([]);
      expect(await leftovers(moto, runId)).toEqual([]);
      // The woken process reports the run as its adopter ended it.
      expect(stale.out()).toContain(`run ${runId} on stg1: failed — interrupted`);
    } finally {
      stale.proc.kill('SIGCONT');
      stale.proc.kill('SIGKILL');
    }
  }, 120_000);
});
