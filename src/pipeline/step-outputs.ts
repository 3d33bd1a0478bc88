// What each step hands the steps after it (stored as the step's outputs, so a resumed run has them
// too) and what its `step.finished` event carries to the fronts: one type per step, keyed by its name.
import type { BrowserResult } from './test-runners/types.ts';

export interface PrepareTestsOutputs extends Record<string, unknown> {
  /** tests.prepare.cacheKey; absent when there was nothing to prepare. */
  cacheKey?: string | null;
  /** The bundle of this key was already built (the step was skipped). */
  cached?: boolean;
  durationMs?: number;
}

export interface LaunchOutputs extends Record<string, unknown> {
  instanceId: string;
  instanceType: string;
  publicIp: string | null;
  privateIp: string | null;
  launchTime: string | null;
  subnetId: string;
  volumeIds: string[];
  /** The instance's network interfaces (its primary one, created and tagged by RunInstances). */
  networkInterfaceIds: string[];
  keyName: string | null;
  /** The key pair was created for this run (`keyPair: ephemeral`) and is deleted in teardown. */
  ephemeralKey: boolean;
  keyPairId: string | null;
  /** The instance already existed (tagged with this run) and was adopted, not launched. */
  adopted: boolean;
  /** The AMI it was launched from (the environment's, its image's in the manifest, or --ami). */
  ami?: string;
  /**
   * The warm pool member this launch claimed (its instance started, not launched): the warm path;
   * absent on the cold path. The step-time history tells warm launches from cold ones by it (store
   * launchPathHistory).
   */
  warmMember?: string;
}

/** A replenish run's member, parked (stopped, or left running) and ready to be claimed. */
export interface ParkOutputs extends Record<string, unknown> {
  memberId: string;
  instanceId: string;
  mode: 'stopped' | 'running';
  builtAt: string;
  /** The member's private key was sealed in the store for the launch that claims it (ephemeral key pairs). */
  keySealed: boolean;
}

export interface OpenSshOutputs extends Record<string, unknown> {
  /** Security-group rule ids this run opened (and teardown revokes). */
  ruleIds: string[];
  /** CIDRs a rule that is not this run's already opens: nothing opened for them, nothing to revoke. */
  alreadyOpen?: string[];
}

export interface WaitSshOutputs extends Record<string, unknown> {
  host: string;
  port: number;
  /** SHA256 fingerprint of the host key, pinned for the rest of the run. */
  hostKey: string;
  attempts: number;
}

export interface ArmSwitchOutputs extends Record<string, unknown> {
  /** When the host powers itself off unless stagebot moves it (ISO); keep and extend update it. */
  firesAt: string;
  /** When it was (last) set. */
  armedAt: string;
}

export interface ServiceUpdateOutputs extends Record<string, unknown> {
  items: { name: string; outcome: 'succeeded' | 'failed' | 'continued'; attempts: number; durationMs: number }[];
  /** Errors of the items that failed under continueOnError. */
  continued?: string[];
  /** `warm`: a warm pool member's launch ran serviceUpdate.warm instead of the full recipe. */
  recipe?: 'warm';
}

export interface RegisterOutputs extends Record<string, unknown> {
  targetGroupArn: string;
  /** Targets removed so only the new instance serves the environment. */
  deregistered: string[];
  /** Health checks it took until the load balancer called the instance healthy. */
  healthPolls?: number;
}

export interface TestsOutputs extends Record<string, unknown> {
  results: BrowserResult[];
  allPassed: boolean;
  /** One line: "2 of 3 browsers failed: firefox (3 failed), safari (timed out)". */
  summary: string;
}

export interface TeardownOutputs extends Record<string, unknown> {
  deleted: number;
  alreadyGone: number;
  /** `kind id: reason` of what could not be deleted. */
  failed: string[];
  /**
   * The run's work was done before it ended (a promotion that had published or opened its pull
   * request): one line saying what. An interrupted run whose teardown says this ends succeeded, with
   * this line (and why it was interrupted) as its message, not failed.
   */
  completed?: string;
}

/** The outputs of each step of the default pipeline (src/pipeline/steps/index.ts), by step name. */
export interface StepOutputsByName {
  'prepare-tests': PrepareTestsOutputs;
  launch: LaunchOutputs;
  'open-ssh': OpenSshOutputs;
  'wait-ssh': WaitSshOutputs;
  'arm-switch': ArmSwitchOutputs;
  'service-update': ServiceUpdateOutputs;
  register: RegisterOutputs;
  tests: TestsOutputs;
  teardown: TeardownOutputs;
  'bake-recipe': ServiceUpdateOutputs;
  'create-image': CreateImageOutputs;
  'copy-image': CopyImageOutputs;
  share: ShareOutputs;
  publish: PublishOutputs;
  deprecate: DeprecateOutputs;
  park: ParkOutputs;
}

/** One region's release of a promotion: the copy it made there, or the one it found there already. */
export interface PromotedCopy {
  region: string;
  ami: string;
  /** `copied` by this promotion, or `reused` (the same bake's release the manifest has there already). */
  how: 'copied' | 'reused';
  /** From the first call in the region until the copy was available. */
  durationMs: number;
  snapshotIds: string[];
  /** The AMI the channel named in this region before (what `deprecate` deprecates), or null. */
  previous: string | null;
}

/** A promotion's copies, every one available. */
export interface CopyImageOutputs extends Record<string, unknown> {
  image: string;
  to: 'latest' | 'stable';
  /** The AMI promoted (`candidate` resolved), its region and its bake. */
  source: { ami: string; region: string; bakeRun: string | null; architecture: string; created: string };
  copies: PromotedCopy[];
}

export interface ShareOutputs extends Record<string, unknown> {
  /** Accounts given launch permission on every copy. */
  accounts: string[];
  images: string[];
}

export interface PublishOutputs extends Record<string, unknown> {
  /** The channel's AMI per region, as written in one manifest version. */
  regions: { region: string; ami: string }[];
  /** False when the manifest said it already (a repeated step), or when the write opened a pull request. */
  written: boolean;
  /** A manifest changed by pull request: the PR that proposes this release (the copies stay for it). */
  pullRequest?: { number: number; url: string };
}

export interface DeprecateOutputs extends Record<string, unknown> {
  /** When AWS deprecates the replaced images (ISO), or null when none was. */
  deprecateAt: string | null;
  deprecated: { region: string; ami: string }[];
  /** `ami in region: reason` of what could not be deprecated (the promotion stands). */
  failed: string[];
}

/** A bake's image, available, and the candidate of its image in the manifest. */
export interface CreateImageOutputs extends Record<string, unknown> {
  imageId: string;
  name: string;
  region: string;
  architecture: string;
  created: string;
  snapshotIds: string[];
}

export type StepName = keyof StepOutputsByName;

/** Key under which launch leaves an ephemeral key pair's private key in RunContext.secrets. */
export const EPHEMERAL_KEY_SECRET = 'ssh-private-key';
