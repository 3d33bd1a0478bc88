// Looking at this machine's process list: in the SSH tests the "remote host" is this machine.

import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** Command lines of processes whose command line matches the regular expression (pgrep -f). */
export function processesMatching(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', pattern], { encoding: 'utf8' }).trim().split('\n').filter((line) => line !== '');
  } catch (err) {
    // pgrep exits 1 when nothing matches.
    if ((err as { status?: number }).status === 1) return [];
    throw err;
  }
}

/** Polls until no process matches, at most `withinMs`; returns what still matched. */
export async function waitUntilGone(pattern: string, withinMs: number): Promise<string[]> {
  const deadline = performance.now() + withinMs;
  let left = processesMatching(pattern);
  while (left.length > 0 && performance.now() < deadline) {
    await sleep(50);
    left = processesMatching(pattern);
  }
  return left;
}

/**
 * A `sleep` whose argument no other process on the machine has. `pattern` matches the sleep
 * and the shell that started it.
 */
export function uniqueSleep(seconds = 30): { command: string; pattern: string } {
  const arg = `${seconds}.${String(randomInt(100_000, 999_999))}`;
  return { command: `sleep ${arg}`, pattern: `sleep ${arg.replace('.', '\\.')}` };
}
