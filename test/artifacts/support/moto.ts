// moto's server (the AWS emulator installed for the system python3) on a free loopback port, for the
// S3 artifact tests. Skipped where moto is not installed; stopped by the test that started it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from '../../support/sshd.ts';

export function motoInstalled(): boolean {
  return spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore', timeout: 30_000 }).status === 0;
}

export interface Moto {
  url: string;
  stop(): Promise<void>;
}

export async function startMoto(): Promise<Moto> {
  const port = await freePort();
  const child: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr = `${stderr}${String(d)}`.slice(-2_000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, delay(5_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  const deadline = performance.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}: ${stderr}`);
    const up = await fetch(`${url}/moto-api/`).then((r) => r.ok, () => false);
    if (up) return { url, stop };
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`moto did not answer on ${url} within 30 s: ${stderr}`);
    }
    await delay(100);
  }
}
