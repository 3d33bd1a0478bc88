// An asset kind as one descriptor: how stagebot finds it, re-checks it, removes it, names it, prices
// it and which IAM actions it needs. Teardown, the sweeper, the reports, the retag of a kept run and
// the IAM policy iterate over the registry (index.ts); a new kind is one file plus its registration.
import type { Filter, ResourceType } from '@aws-sdk/client-ec2';
import type { Config } from '../../config/types.ts';
import type { Priced } from '../../cost/estimate.ts';
import type { AssetKind } from '../../domain/asset.ts';
import type { AwsCalls } from '../calls.ts';
import type { AwsClients } from '../clients.ts';
import type { ProtectTag } from '../tags.ts';
import type { Ec2Scope, Listing } from './describe.ts';
import type { TeardownPart } from './teardown-types.ts';

/** One asset of ours as Describe* (not the Tagging API) showed it. */
export interface FoundAsset {
  kind: AssetKind;
  /** AWS id; for a target `targetGroupArn|instanceId` (as in src/domain/asset.ts). */
  id: string;
  region: string;
  /** Its tags as a record (a target has none: it is ours because its target group is configured). */
  tags: Record<string, string>;
  createdAt: Date | null;
  /** What it costs while it exists: an instance with its attached volumes, an AMI with its snapshots. */
  priced: Priced[];
  /** A few words for the reason line: `t3.2xlarge running`, `200 GB gp3`, `sgr on sg-1 (203.0.113.10/32)`. */
  detail: string;
  /** Kind-specific facts the rules and the reaper need. */
  extra: AssetExtra;
}

export interface AssetExtra {
  state?: string;
  /** Volumes attached to an instance (their cost is the instance's), snapshots of an AMI. */
  children?: string[];
  /** Security-group rule. */
  groupId?: string;
  isEgress?: boolean;
  /** Target. */
  targetGroupArn?: string;
  instanceId?: string;
  port?: number;
  /** Environment a target group belongs to. */
  env?: string;
  /** Instance, at the re-check before reaping: attached volumes carrying the protect tag (termination would delete them). */
  protectedVolumes?: string[];
  /** Key pair: its name (what the configuration refers to it by). */
  keyName?: string;
  /** Artifact set: its bucket and the object keys it is made of, and their size. */
  bucket?: string;
  keys?: string[];
  sizeBytes?: number;
}

/** What the inventory of one region has listed so far, for kinds that fold another's items into theirs. */
export interface InventoryContext {
  region: string;
  /** The raw items listed of each kind (empty when not listed). */
  listed(kind: AssetKind): readonly unknown[];
  /** Snapshots behind the configured AMIs (never assets of their own). */
  configuredSnapshots: ReadonlySet<string>;
}

/** Where a kind is listed: one region's EC2 scope, and what a kind outside EC2 needs (its client, the config). */
export interface ListScope extends Ec2Scope {
  region: string;
  aws: AwsClients;
  config: Config;
}

/** How the sweeper's inventory lists a kind by our managed-by tag. */
export interface SweptKind<Raw = unknown> {
  /**
   * The Resource Groups Tagging API's type for it: it is then listed only when that API has any of
   * ours (round two). null: listed with Describe* every time (round one).
   */
  taggingType: string | null;
  list(scope: ListScope, owned: Filter[]): Promise<Listing<Raw>>;
  /** The fewest calls a listing that returned `n` items takes. */
  minimumCalls(n: number): number;
  /** The assets among its listed items (an attached volume is its instance's, not its own). */
  assets(region: string, items: readonly Raw[], ctx: InventoryContext): FoundAsset[];
}

/** Where the reaper works: one region, its clients, the sweep's call counter. */
export interface ReapScope extends Ec2Scope {
  aws: AwsClients;
  region: string;
  protectTag: ProtectTag;
}

export interface AssetKindDescriptor<K extends AssetKind = AssetKind> {
  kind: K;
  /** How a person calls one, and several (reports): `key pair`, `key pairs`. */
  singular: string;
  plural: string;
  /** EC2's resource type: tagged at creation with it (TagSpecifications); null for what carries no tags. */
  ec2ResourceType: ResourceType | null;
  /** The call that creates it, tagged, when stagebot creates it (RunInstances creates several kinds at once). */
  createdBy: string | null;
  /** Where the sweeper's reap-after mark lives: a tag on it, or the store (for what carries no tags). */
  marks: 'tag' | 'store';
  /** Its expires-at tag moves with a kept run's time (keep, extend). */
  retagOnKeep: boolean;
  /**
   * Which orphan rule judges it (src/audit/rules.ts): its run's state (`run`), the AMI rules
   * (`image`), whether the instance it points at is gone (`target`), or its age against the
   * configured retention (`retention`: test artifacts outlive their run on purpose).
   */
  rule: 'run' | 'image' | 'target' | 'retention';
  /** For a kind whose marks live in the store: the region of a marked id, when the id is of this kind. */
  markRegion?(id: string, config: Config): string | null;
  /** The configuration names some of its kind (an environment's AMI or key pair): those are never orphans. */
  configured?: {
    /** The references the configuration makes, in the form `of` gives. */
    refs(config: Config): string[];
    of(a: FoundAsset): string;
  };
  /** The IAM actions stagebot needs for it: to find it, to create it, to remove it. */
  iam: { read: string[]; create: string[]; remove: string[] };
  /** The end of an orphan's reason line: `key pair still exists`. */
  leftBehind(a: FoundAsset): string;
  /** The shortest id a person recognises in a report (a target's is its group's name and instance). */
  shortId?(id: string): string;
  /** The sweeper's listing of it; absent when it is never listed on its own (it goes with another kind). */
  swept?: SweptKind;
  /** How the reaper re-checks and deletes one that is due; present for every swept kind. */
  reap?: ReapPart;
  /** What teardown does with a run's asset of this kind; absent when teardown never removes one itself. */
  teardown?: TeardownPart;
}

export interface ReapPart {
  /** The due assets of one batch (at most 200) as AWS shows them now; one missing from the answer is gone. */
  recheck(scope: ReapScope, due: readonly FoundAsset[]): Promise<FoundAsset[]>;
  /** The fewest calls recheck makes for `batches` batches of `due`. */
  recheckCalls(batches: number, due: readonly FoundAsset[]): number;
  /** Re-read but on its way out already (a shutting-down instance): counts as gone. */
  gone?(fresh: FoundAsset): boolean;
  /** Why a still-orphaned asset must stay for now (beyond the rules and the mark); `unmark` when it stopped being one. */
  hold?(fresh: FoundAsset, protect: ProtectTag): { why: string; unmark: boolean } | null;
  /** Deletes it; returns the ids of what went with it (an AMI's snapshots, of kind `takesAlong`). */
  remove(scope: ReapScope, a: FoundAsset): Promise<string[]>;
  takesAlong?: AssetKind;
}

export type { AwsCalls };
