// THE tag schema (design.md section 3): the only place tag keys are spelled. Every asset a run creates
// carries these tags from the moment it exists, so teardown and the sweeper can find it by tag alone.

import type { Filter, ResourceType, Tag, TagSpecification } from '@aws-sdk/client-ec2';
import type { TagFilter } from '@aws-sdk/client-resource-groups-tagging-api';
import { SOURCES, type Source } from '../domain/run.ts';

export const TAG = {
  assetId: 'asset-id',
  managedBy: 'stagebot:managed-by',
  env: 'stagebot:env',
  requestedBy: 'stagebot:requested-by',
  source: 'stagebot:source',
  expiresAt: 'stagebot:expires-at',
  name: 'Name',
  /** Set by the sweeper when it first finds an orphan: not reaped before this time. */
  reapAfter: 'stagebot:reap-after',
  /**
   * On a warm pool member's instance, volumes and network interface while the pool holds it (value: the
   * environment); set at creation by the replenish run, removed when a launch claims the member.
   */
  pool: 'stagebot:pool',
} as const;

/** Assets carrying this tag are never reaped; configurable as `sweeper.protectTag`. */
export interface ProtectTag {
  key: string;
  value: string;
}
export const DEFAULT_PROTECT_TAG: ProtectTag = { key: 'stagebot:keep', value: 'true' };

export const MAX_TAG_VALUE_LENGTH = 256;

// What every AWS service accepts in a tag value (EC2 accepts more, but ELB, the Tagging API and IAM
// conditions do not): letters, digits, spaces and `_ . : / = + - @`.
const DISALLOWED = /[^\p{L}\p{Z}\p{N}_.:/=+\-@]+/gu;

/**
 * A value AWS will accept anywhere: runs of other characters become `_`, and it is cut to 256 characters.
 * Anything from outside (a GitHub login, a Slack id, a branch name) goes through this, never raw.
 */
export function sanitizeTagValue(value: string): string {
  const clean = value.replace(DISALLOWED, '_').trim();
  return Array.from(clean).slice(0, MAX_TAG_VALUE_LENGTH).join('').trim();
}

export interface RunTagInput {
  /** The installation's name (`installation` in stagebot.yml): two installations never touch each other's assets. */
  installation: string;
  runId: string;
  env: string;
  /** `slack:U123`, `github:octocat`, `cli:alice`. */
  requester: string;
  source: Source;
  /** After this the asset is an orphan whatever the store says. Every asset gets one: nothing lives forever. */
  expiresAt: Date;
  /** Human-readable, shown in the AWS console. */
  name: string;
  /** A warm pool member's: the environment whose pool it is prepared for (TAG.pool). */
  pool?: string;
}

/** ISO time to the second: readable in the console and exactly parseable back. */
export function formatTagTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function runTags(input: RunTagInput): Tag[] {
  if (Number.isNaN(input.expiresAt.getTime())) throw new Error('runTags: expiresAt is an invalid date');
  const tags: Record<string, string> = {
    [TAG.assetId]: input.runId,
    [TAG.managedBy]: input.installation,
    [TAG.env]: input.env,
    [TAG.requestedBy]: input.requester,
    [TAG.source]: input.source,
    [TAG.expiresAt]: formatTagTime(input.expiresAt),
    [TAG.name]: input.name,
    ...(input.pool ? { [TAG.pool]: input.pool } : {}),
  };
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value: sanitizeTagValue(Value) }));
}

/** The tags a launch that claims a warm pool member writes over the pool's (its `stagebot:env` and managed-by stay). */
export const HANDOVER_TAGS: readonly string[] = [TAG.assetId, TAG.requestedBy, TAG.source, TAG.expiresAt, TAG.name];

/** The sweeper's mark on an orphan it found: reap no sooner than `at`. */
export function reapAfterTag(at: Date): Tag {
  return { Key: TAG.reapAfter, Value: formatTagTime(at) };
}

/** The same tags on every resource type a call creates (RunInstances: instance, volume, network-interface). */
export function tagSpecifications(resourceTypes: readonly ResourceType[], tags: readonly Tag[]): TagSpecification[] {
  return resourceTypes.map((ResourceType) => ({ ResourceType, Tags: tags.map((t) => ({ ...t })) }));
}

/** An EC2 Describe* filter on a tag: `tag:<key>` = any of `values`. */
export function tagFilter(key: string, values: readonly string[]): Filter {
  return { Name: `tag:${key}`, Values: [...values] };
}

/** An EC2 Describe* filter on the presence of a tag key, whatever its value. */
export function tagKeyFilter(key: string): Filter {
  return { Name: 'tag-key', Values: [key] };
}

export function managedByFilter(installation: string): Filter {
  return tagFilter(TAG.managedBy, [sanitizeTagValue(installation)]);
}

export function runFilter(runId: string): Filter {
  return tagFilter(TAG.assetId, [sanitizeTagValue(runId)]);
}

/** The Resource Groups Tagging API's form of a tag filter; no values means "has the key". */
export function taggingFilter(key: string, values: readonly string[] = []): TagFilter {
  return values.length > 0 ? { Key: key, Values: [...values] } : { Key: key };
}

/** Tags as a record; AWS returns them as a list, or not at all when there are none. */
export function readTags(tags?: readonly Tag[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

export interface ManagedTags {
  runId: string;
  env: string | null;
  requester: string | null;
  source: Source | null;
  /** null when the tag is missing or not a time. */
  expiresAt: Date | null;
  /** The sweeper's mark, null when not marked (or unreadable). */
  reapAfter: Date | null;
  name: string | null;
}

/** Our tags read back, or null when the asset is not this installation's (no managed-by match or no asset-id). */
export function parseManagedTags(record: Readonly<Record<string, string>>, installation: string): ManagedTags | null {
  if (record[TAG.managedBy] !== sanitizeTagValue(installation)) return null;
  const runId = record[TAG.assetId];
  if (!runId) return null;
  const source = record[TAG.source];
  return {
    runId,
    env: record[TAG.env] || null,
    requester: record[TAG.requestedBy] || null,
    source: source !== undefined && (SOURCES as readonly string[]).includes(source) ? (source as Source) : null,
    expiresAt: parseTagTime(record[TAG.expiresAt]),
    reapAfter: parseTagTime(record[TAG.reapAfter]),
    name: record[TAG.name] || null,
  };
}

export function isProtected(record: Readonly<Record<string, string>>, protect: ProtectTag = DEFAULT_PROTECT_TAG): boolean {
  return record[protect.key] === protect.value;
}

const TAG_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

/** Only the exact ISO form we write: a value someone typed by hand into the console is not trusted as a time. */
export function parseTagTime(value: string | undefined): Date | null {
  if (value === undefined || !TAG_TIME.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
