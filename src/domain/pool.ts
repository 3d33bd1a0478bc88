// A warm pool member: an instance launched from the environment's AMI, fully updated at the pool's
// base ref and verified healthy, then stopped (or left running) until a launch claims it.

export const POOL_MEMBER_STATES = ['preparing', 'ready', 'claimed', 'evicting'] as const;
export type PoolMemberState = (typeof POOL_MEMBER_STATES)[number];

export interface PoolMember {
  /** Also the asset-id its AWS assets carry while it is the pool's (the replenish's id). */
  id: string;
  env: string;
  region: string;
  /** Null until the replenish's RunInstances answered. */
  instanceId: string | null;
  /** The AMI it was launched from: once the environment's AMI changes, the member is evicted. */
  ami: string;
  baseRef: string;
  state: PoolMemberState;
  createdAt: Date;
  /** When it became ready (prepared and verified); null while preparing. */
  builtAt: Date | null;
  /** The run that claimed it; from then on its instance is that run's asset. */
  claimedBy: string | null;
  claimedAt: Date | null;
  /** Why it is being evicted (age, AMI change, excess, a failed or abandoned preparation). */
  evictReason: string | null;
}

/** The steps of a run of kind `replenish` (src/pipeline/steps/replenish.ts), in order. */
export const REPLENISH_STEP_NAMES: readonly string[] = ['launch', 'open-ssh', 'wait-ssh', 'service-update', 'park', 'teardown'];
