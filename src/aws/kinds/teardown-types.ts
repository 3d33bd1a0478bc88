// A kind's part in a run's teardown (src/pipeline/steps/teardown.ts runs them in order): find the
// run's assets of the kind by tag and from the store's records, start removing them, and finish
// what the start began (wait for a termination, a drain). Only what is tagged with this run is touched.
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Asset, AssetKind } from '../../domain/asset.ts';
import type { RunIdentity } from '../run-ownership.ts';

export type AwsCall = <T>(call: () => Promise<T>) => Promise<T>;

/** What teardown has found in one region, kind by kind, and the facts kinds share. */
export interface TeardownFindings {
  region: string;
  /** Per kind: the ids teardown removes, each with what its removal needs (a rule's group, an instance...). */
  items: Map<AssetKind, Map<string, unknown>>;
  /** The run's instances: found by tag, recorded, or behind a recorded target (gone ones included). */
  runInstances: Set<string>;
  /** Per kind: ids whose removal started and is finished later (terminating instances, draining targets). */
  started: Map<AssetKind, string[]>;
  /** Instances confirmed terminated (their volumes went with them). */
  terminated: Set<string>;
  /** Recorded assets already gone before teardown did anything. */
  gone: { kind: AssetKind; id: string }[];
  /** `kind id: reason` for what teardown will not touch or could not look up. */
  problems: string[];
}

/** The findings' items of one kind (created on first use). */
export function itemsOf<T>(f: TeardownFindings, kind: AssetKind): Map<string, T> {
  let items = f.items.get(kind);
  if (!items) f.items.set(kind, (items = new Map()));
  return items as Map<string, T>;
}

export function startedOf(f: TeardownFindings, kind: AssetKind): string[] {
  let ids = f.started.get(kind);
  if (!ids) f.started.set(kind, (ids = []));
  return ids;
}

/** Counts and failures of a teardown; every asset done is recorded deleted as it goes. */
export interface TeardownTally {
  /** Records the asset first when only the tag search knew it, then marks it deleted or gone. */
  done(kind: AssetKind, id: string, how: 'deleted' | 'gone'): Promise<void>;
  fail(kind: AssetKind, id: string, reason: string): void;
  /** Runs one asset's work; whatever it throws becomes that asset's failure, never the others'. */
  each(kind: AssetKind, id: string, work: () => Promise<void>): Promise<void>;
}

export interface TeardownScope {
  who: RunIdentity;
  region: string;
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  /** The run's recorded, not yet deleted assets in this region. */
  recorded: readonly Asset[];
  /** Target groups to look for the run's instances in (the environment's, in its region). */
  targetGroupArns: readonly string[];
  signal: AbortSignal;
  /** Retries a throttled call a few more times (teardown must not give up easily). */
  call: AwsCall;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  now(): number;
  /** runs.stepTimeouts.teardown: waits take a share of it. */
  stepTimeoutMs: number;
  log(line: string): void;
  /** Tries `work`; a failure becomes a problem line `what: error` and teardown goes on. */
  attempt(what: string, work: () => Promise<void>): Promise<void>;
}

/** One phase of a kind's teardown; lower `order` runs first within the phase. */
export interface TeardownPhase<A extends unknown[]> {
  order: number;
  run(scope: TeardownScope, f: TeardownFindings, ...more: A): Promise<void>;
}

export interface TeardownPart {
  /** Looks for the run's assets by its tags (the orchestrator wraps it as `kind (search by tag in region)`). */
  search?: TeardownPhase<[]>;
  /** Looks up the recorded assets the search did not find: gone, the run's after all, or someone else's. */
  recorded?: TeardownPhase<[]>;
  /** Starts removing what was found: deregister, revoke, terminate, delete. */
  start?: TeardownPhase<[TeardownTally]>;
  /** Finishes what the start began (a termination, a drain) and what depends on it. */
  finish?: TeardownPhase<[TeardownTally]>;
}

export const NOT_THIS_RUNS = 'its tags do not name this run; left alone';

/** A `recorded` phase: each recorded asset of `kind` the search did not find is looked up with `check`. */
export function lookUpRecorded(kind: AssetKind, check: (s: TeardownScope, id: string, f: TeardownFindings) => Promise<void>): TeardownPhase<[]>['run'] {
  return async (s, f) => {
    const found = itemsOf(f, kind);
    for (const a of s.recorded) {
      if (a.kind === kind && !found.has(a.id)) await s.attempt(`${kind} ${a.id}`, () => check(s, a.id, f));
    }
  };
}
