// The runs behind the assets found: the unfinished ones in one query (the only ones that can keep an
// asset alive), the rest one by one (finished or unknown, for the reason line), a few at a time.

import pLimit from 'p-limit';
import type { Run, RunState } from '../domain/run.ts';
import type { Store } from '../store/index.ts';
import type { Config } from '../config/index.ts';
import type { PoolContext, RuleContext } from './rules.ts';

const UNFINISHED: readonly RunState[] = ['queued', 'running', 'tearing_down', 'kept'];

/** Runs by id; null for an id the store does not know. */
export async function loadRuns(store: Store, runIds: Iterable<string>): Promise<Map<string, Run | null>> {
  const wanted = new Set(runIds);
  const out = new Map<string, Run | null>();
  if (wanted.size === 0) return out;
  for (const run of await store.listRuns({ states: UNFINISHED })) if (wanted.has(run.id)) out.set(run.id, run);
  const limit = pLimit(8);
  await Promise.all(
    [...wanted].filter((id) => !out.has(id)).map((id) => limit(async () => out.set(id, await store.getRun(id)))),
  );
  return out;
}

/** The warm pools as the orphan rules need them: every member by id, and the environments that have a pool. */
export async function loadPool(store: Store, config: Config): Promise<PoolContext> {
  const members = await store.listPoolMembers();
  return {
    members: new Map(members.map((m) => [m.id, m])),
    envsWithPool: new Set(Object.values(config.environments).flatMap((e) => (e.warmPool ? [e.name] : []))),
  };
}

/** The rules as they stand now, just before reaping: the runs behind what is due and the pool re-read. */
export async function freshRules(store: Store, config: Config, rules: RuleContext, runIds: string[]): Promise<RuleContext> {
  const pool = await loadPool(store, config);
  const claimers = [...pool.members.values()].flatMap((m) => (m.claimedBy ? [m.claimedBy] : []));
  return { ...rules, pool, runs: await loadRuns(store, [...runIds, ...claimers]) };
}
