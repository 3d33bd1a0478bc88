// The test command runs as the leader of its own process group (spawned `detached`), so that
// stopping it also stops everything it started: npx, the Playwright runner, its workers and
// the browsers. Signalling the negative pid reaches the whole group.

import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 50;

/** Sends `signal` to every process of the group; false when the group has no process left. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/**
 * Whether a process of the group still runs. Exited members linger as zombies where nothing
 * reaps orphans (PID 1 of many containers); signals still "reach" them, so on Linux /proc
 * tells the living from the dead.
 */
export async function groupAlive(pgid: number): Promise<boolean> {
  if (!signalGroup(pgid, 0)) return false;
  const live = await liveGroupMembers(pgid);
  return live === null || live.length > 0;
}

/** Pids of the group's processes that are not zombies; null where /proc is not available. */
export async function liveGroupMembers(pgid: number): Promise<number[] | null> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return null;
  }
  const live: number[] = [];
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const state = await processState(name);
        if (state && state.pgrp === pgid && state.state !== 'Z' && state.state !== 'X') live.push(Number(name));
      }),
  );
  return live;
}

export async function processState(pid: number | string): Promise<{ state: string; pgrp: number } | null> {
  let stat: string;
  try {
    stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone meanwhile
  }
  // `pid (comm) state ppid pgrp ...`; comm may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [state, , pgrp] = fields;
  return state && pgrp ? { state, pgrp: Number(pgrp) } : null;
}

/**
 * SIGTERM to the group, then SIGKILL to whatever is left after `graceMs`. Resolves once the
 * group is gone or the SIGKILL was sent.
 */
export async function stopProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
    if (!(await groupAlive(pgid))) return;
  }
  signalGroup(pgid, 'SIGKILL');
}
