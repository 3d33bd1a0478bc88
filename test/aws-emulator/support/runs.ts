// Reading stagebot's runs from the outside: its JSON documents, its progress lines, and bounded waits.
import { rmSync, writeFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Result } from '../../bot/cli/support.ts';
import { processesMatching } from '../../support/processes.ts';
import { simulateCalls, type IamVerdict } from './iam-calls.ts';
import { leftovers, NOTHING } from './leftovers.ts';
import type { ProxyEntry } from './proxy.ts';
import { ACCOUNT, STAGEBOT_KEY, type ChildRun, type EmuWorld, type EnvName } from './world.ts';

const RUN_ID = /\b(stg\d-\d{8}-[0-9a-f]{6})\b/;

/** The one JSON document a `--output json` command printed (its `result` when it has that envelope). */
export function jsonOf(res: Result): any {
  let doc: any;
  try {
    doc = JSON.parse(res.stdout);
  } catch {
    throw new Error(`not one JSON document (exit ${res.code}); stdout:\n${res.stdout.slice(0, 2_000)}\nstderr:\n${res.stderr.slice(-3_000)}`);
  }
  return doc && typeof doc === 'object' && 'result' in doc && 'command' in doc ? doc.result : doc;
}

/** The first run id in a text (progress lines, a Slack message...). */
export function runIdIn(text: string): string | null {
  return RUN_ID.exec(text)?.[1] ?? null;
}

/** Polls until `check` returns something other than undefined/null/false, at most `withinMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, withinMs = 30_000): Promise<T> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value as T;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await delay(100);
  }
}

/** The run left nothing in moto: no instance, volume, interface, rule, key pair or target. */
export async function expectNothingLeft(w: EmuWorld, runId: string): Promise<void> {
  expect(await leftovers(w, runId), `what run ${runId} left in moto`).toEqual(NOTHING);
}

/** Step name -> state, from a run document. */
export function stepStates(doc: { steps: { step: string; state: string }[] }): Record<string, string> {
  return Object.fromEntries(doc.steps.map((s) => [s.step, s.state]));
}

/** The run object (`{ id, state, … }`) for `runId` wherever a document nests it. */
export function findRun(doc: unknown, runId: string): { state: string; error?: string | null } | null {
  if (Array.isArray(doc)) {
    for (const item of doc) {
      const found = findRun(item, runId);
      if (found) return found;
    }
    return null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  const o = doc as Record<string, unknown>;
  // A run (`id`) or a run's document (`runId`, what `status <run>` prints).
  if ((o.id === runId || o.runId === runId) && typeof o.state === 'string') return o as { state: string; error?: string | null };
  for (const value of Object.values(o)) {
    const found = findRun(value, runId);
    if (found) return found;
  }
  return null;
}

/**
 * `stagebot launch <env>` as a process, held in its recipe's `restart the services` (the block flag) until
 * `unblock()`: resolves once the run id is known and the recipe is waiting on the host.
 */
export async function startBlockedLaunch(w: EmuWorld, env: EnvName, args: string[] = []): Promise<{ runId: string; launch: ChildRun; unblock(): void }> {
  writeFileSync(w.flags.block(env), '');
  const unblock = () => rmSync(w.flags.block(env), { force: true });
  const launch = w.spawnStagebot(['launch', env, ...args]);
  try {
    const runId = await waitFor('the run id in the progress', () => runIdIn(launch.stderr()));
    await waitFor('the recipe waiting on the host', () => processesMatching(w.flags.blockedOnHost).length > 0);
    return { runId, launch, unblock };
  } catch (err) {
    launch.child.kill('SIGKILL');
    unblock();
    throw err;
  }
}

/** Every call of `log` (default: all stagebot made in this world) is allowed by `stagebot iam-policy`'s policy for the world's config. */
export async function expectAllowedByPolicy(w: EmuWorld, log: readonly ProxyEntry[] = w.proxy.log): Promise<IamVerdict> {
  const verdict = await simulateCalls(log, STAGEBOT_KEY, await w.iamPolicy(), ACCOUNT);
  console.log(`IAM: ${verdict.calls} calls, ${verdict.checks} distinct authorization checks, ${verdict.denied.length} denied`);
  expect(verdict.denied).toEqual([]);
  return verdict;
}
