// Helper processes a test starts (sshd, moto) must not outlive the test worker, even one killed by a
// hook timeout: setpriv (util-linux) sets a parent-death signal before exec'ing the program, and an
// exit hook covers the ordinary exit.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const SETPRIV = '/usr/bin/setpriv';

export function spawnTied(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const child = existsSync(SETPRIV) ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args], options) : spawn(command, args, options);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  return child;
}

/** SIGTERM, then SIGKILL when it has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, exited: Promise<unknown>, graceMs = 2_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const gone = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!gone) {
    child.kill('SIGKILL');
    await exited;
  }
}
