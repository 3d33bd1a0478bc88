// What a step gets to do its work. Steps never touch the store or the event bus directly: they go
// through this (RunRecords is all of the store a step sees), so that every asset is recorded and
// every event reaches the fronts in one way.
import type { Tag } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.ts';
import type { Config, EnvironmentConfig } from '../config/index.ts';
import type { Asset, AssetKind } from '../domain/asset.ts';
import type { Clock } from '../domain/clock.ts';
import type { PoolMember } from '../domain/pool.ts';
import type { Run, Step } from '../domain/run.ts';
import type { ManifestBackend } from '../images/manifest.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunEventBody } from './events.ts';
import type { StepName, StepOutputsByName } from './step-outputs.ts';
import type { TestRunner } from './test-runners/types.ts';

export interface RunContext {
  run: Run;
  env: EnvironmentConfig;
  config: Config;
  aws: AwsClients;
  records: RunRecords;
  clock: Clock;
  logger: Logger;
  /** Aborts on cancel, run timeout, step timeout, or when another step of the run failed. */
  signal: AbortSignal;
  /** The tags every asset of this run carries from creation (design.md section 3). */
  tags(name: string): Tag[];
  /** When the run's assets become orphans whatever the store says. */
  expiresAt: Date;
  /** Outputs of the run's earlier steps (also after a resume: they come from the store). */
  outputOf<N extends StepName>(step: N): StepOutputsByName[N] | undefined;
  /**
   * Records an asset the run created; call it as soon as AWS returns the id. `region`: where it is, when
   * not the environment's region (a promotion's copy in another region).
   */
  recordAsset(kind: AssetKind, id: string, region?: string): Promise<void>;
  /** Marks an asset gone (deleted by teardown, or found already gone). */
  assetDeleted(kind: AssetKind, id: string, region?: string): Promise<void>;
  emit(event: RunEventBody): void;
  /** One line of a step's output for the run log (streamed to the fronts, not stored). */
  log(line: string, step?: string): void;
  /**
   * Something the person must hear, not only the run log (another instance taken off the load
   * balancer, a subnet skipped for capacity): a `step.warning` event every front shows, kept in the
   * run's timeline.
   */
  warn(line: string, step?: string): void;
  /** Secrets a step produced for later steps of the same process (an ephemeral key's private key); never stored. */
  secrets: Map<string, string>;
  testRunner: TestRunner;
  /**
   * The image manifest the engine was given (the file, or a GitHub repository's). Unset: the configured
   * file (a manifest in GitHub then says, in one line, that it cannot be reached from here).
   */
  manifest?: ManifestBackend | undefined;
  /**
   * Throws RunFenced unless this process still holds the run's lease at the epoch it started with.
   * `aws` and `clock.sleep` already call it (before each mutating call, after each wait); a step calls
   * it itself before acting anywhere else after a long wait (a host over SSH, a test runner).
   */
  fence(at: string): Promise<void>;
}

/** The store as a run's steps see it: their run's records and a cache, nothing else. */
export interface RunRecords {
  /** The run's assets as recorded (teardown's list; launch counts the run's earlier instances). */
  assets(): Promise<Asset[]>;
  /** A value kept across runs and replicas (prepare-tests' build cache); null when there is none. */
  cached(key: string): Promise<unknown>;
  cache(key: string, value: unknown): Promise<void>;
  /** The step runner's record of a step (start, end, outputs, error); steps never call it themselves. */
  saveStep(step: Step): Promise<void>;
  /** A version of the image manifest a bake or promotion wrote, into the manifest's history. */
  recordManifest(v: { at: Date; author: string; reason: string; manifest: unknown }): Promise<void>;
  /** The warm pool as this run sees it (src/pipeline/pool-records.ts). */
  pool: PoolRecords;
}

/**
 * The warm pool's store as a run sees it: a replenish run its own member (the member's id is the run's),
 * a launch the member it claims. Sealed keys never leave this interface in the clear except to the run
 * that holds the member.
 */
export interface PoolRecords {
  /** The member this replenish run prepares (its id is the run's), or null. */
  ownMember(): Promise<PoolMember | null>;
  /** Records the instance of this replenish run's member (before anything else may fail). */
  setOwnInstance(instanceId: string): Promise<void>;
  /** preparing -> ready; false when the member was evicted meanwhile. */
  markOwnReady(builtAt: Date): Promise<boolean>;
  /** Seals this replenish run's ephemeral private key for the launch that will claim its member (needs STAGEBOT_HANDOVER_KEY). */
  sealOwnKey(privateKey: string): Promise<void>;
  /**
   * Atomically takes a ready member of the run's environment built from `ami` after `builtAfter`, for this
   * run; `needsKey` (ephemeral key pairs): none is taken when this process could not open its sealed key.
   */
  claim(ami: string, builtAfter: Date, needsKey: boolean): Promise<PoolMember | null>;
  /** The member this launch claimed (also after a crash mid-claim), or null. */
  claimed(): Promise<PoolMember | null>;
  /** The claimed member's private key, unsealed; null when it has none (a shared key) or it cannot be opened (the Error says why). */
  claimedKey(member: PoolMember): Promise<string | null | Error>;
  /** Moves the member's live instance, volume and interface records to this run. */
  takeAssets(member: PoolMember): Promise<void>;
  /** Forgets a member whose instance is gone (the claiming run tore it down, or found it gone). */
  forget(member: PoolMember): Promise<void>;
}

export type StepOutputs = Record<string, unknown>;

/**
 * The result of a step that ran: its outputs; or, when it decided there was nothing to do, the
 * reason and whatever outputs it has (a skipped step sends no step.finished event).
 */
export type StepResult<O extends StepOutputs = StepOutputs> = { outputs: O; skipped?: undefined } | { outputs: Partial<O>; skipped: string };

/** One step of the pipeline: one file under src/pipeline/steps/ (design.md section 1). */
export interface PipelineStep<N extends StepName = StepName> {
  name: N;
  /** Repeating it after a crash does no harm (it adopts what already exists), so a resumed run may redo it. */
  safeToRepeat: boolean;
  run(ctx: RunContext): Promise<StepResult<StepOutputsByName[N]>>;
}
