// The run: one launch of one environment, from queue to teardown (design.md section 2).

export const RUN_STATES = ['queued', 'running', 'tearing_down', 'kept', 'succeeded', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** States after which nothing more happens to a run. */
export const FINISHED_RUN_STATES: readonly RunState[] = ['succeeded', 'failed', 'cancelled'];

export function isFinished(state: RunState): boolean {
  return FINISHED_RUN_STATES.includes(state);
}

/**
 * States in which a run holds its concurrency key: it is waiting, going or keeping its environment up.
 * A run tearing down has had its say (its results are in), so a new run of the same key may queue.
 */
export const ACTIVE_RUN_STATES: readonly RunState[] = ['queued', 'running', 'kept'];

/** Where a request came from; `web` is the dashboard (a person signed in through a trusted proxy acts as `web:<user>`). */
export const SOURCES = ['slack', 'github', 'cli', 'cron', 'web'] as const;
export type Source = (typeof SOURCES)[number];

/** Who asked, as written into the `stagebot:requested-by` tag: `slack:U123`, `github:octocat`, `cli:alice`. */
export type Requester = `${Source}:${string}`;

export interface RunOptions {
  browsers: string[];
  /** Milliseconds the environment stays up after the tests (`--keep`); absent means tear down at once. */
  keepMs?: number;
  ref?: string;
  dryRun?: boolean;
  /** For a launch without an environment: the environments it may take (a repository's pool). */
  pool?: string[];
  /** A launch's AMI instead of its environment's: an AMI id, or `candidate` (its image's candidate in the manifest). */
  ami?: string;
  /** A bake: the image it bakes; a promotion: the image it promotes. */
  image?: string;
  /** A promotion: the AMI it promotes (`candidate`, or an AMI id the manifest has) and the channel it becomes. */
  promote?: { source: string; to: 'latest' | 'stable' };
}

/** What a run does: launch an environment, bake an image, promote an image, or (later) replenish a warm pool. */
export type RunKind = 'launch' | 'bake' | 'promote' | 'replenish';
export const RUN_KINDS: readonly RunKind[] = ['launch', 'bake', 'promote', 'replenish'];

export interface Run {
  id: string;
  kind: RunKind;
  /** Environment name, or null while a pool launch waits in the queue for a free one. */
  env: string | null;
  state: RunState;
  requester: Requester;
  source: Source;
  options: RunOptions;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** When a kept run's TTL runs out; also the `stagebot:expires-at` tag. */
  expiresAt: Date | null;
  leaseOwner: string | null;
  leaseHeartbeatAt: Date | null;
  error: string | null;
  /**
   * Who asked to cancel: written with the request (the replica driving the run acts on it at its next
   * heartbeat), kept once the run ended cancelled (so every front can say who), cleared when the run
   * ended otherwise (a kept run torn down, a cancel that came after the teardown had started).
   */
  cancelRequestedBy: string | null;
  /** Why the cancel was asked ("the pull request was closed"), with cancelRequestedBy; null when nobody said. */
  cancelReason: string | null;
  /**
   * At most one run per key is active (queued, running or kept) at a time, in the whole store: a
   * pull request's `/e2e` launches carry `github:<owner>/<repo>#<pr>:launch`. Null: no such limit.
   */
  concurrencyKey: string | null;
  /**
   * The lease's generation: bumped each time the lease changes hands. A driver acts only while the
   * store still says its owner holds the run at the epoch it started with (fencing).
   */
  leaseEpoch: number;
  /** The replica that handed the run over on a planned stop (resume it), or null. */
  handoverFrom: string | null;
}

/**
 * `cancelled`: the step was stopped by a cancel of its run (not by anything it did). `interrupted`: the
 * step was running when its process stopped (a crash, or a driver that lost its lease).
 */
export const STEP_STATES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled', 'interrupted'] as const;
export type StepState = (typeof STEP_STATES)[number];

export interface Step {
  runId: string;
  name: string;
  state: StepState;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** What the step produced that later steps or a resumed run need (instance id, IPs, host key...). */
  outputs: Record<string, unknown>;
  error: string | null;
}

export interface RunEvent {
  runId: string;
  seq: number;
  at: Date;
  type: string;
  data: Record<string, unknown>;
}
