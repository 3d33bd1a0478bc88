// The sweeper's mark on an orphan: `stagebot:reap-after` = when it may be reaped. EC2 assets carry it as
// a tag (CreateTags / DeleteTags, many resources per call); ALB targets cannot be tagged, so their marks
// live in the store's kv, shared by replicas like the tags are.

import { CreateTagsCommand, DeleteTagsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { TAG, formatTagTime, parseTagTime, reapAfterTag } from '../aws/tags.ts';
import { isNotFound } from '../aws/errors.ts';
import type { Store } from '../store/index.ts';
import { chunks, type AwsCalls } from '../aws/calls.ts';

/** Resources per CreateTags / DeleteTags call. */
export const TAG_BATCH = 500;

export const TARGET_MARKS_KEY = 'sweeper:target-marks';

/**
 * Applies `write` to `ids` a batch at a time. A batch that fails because one id vanished meanwhile is
 * retried one id at a time, so one deleted asset does not cost the others their mark. Returns the ids done.
 */
async function batched(ids: readonly string[], write: (batch: string[]) => Promise<unknown>): Promise<string[]> {
  const done: string[] = [];
  for (const batch of chunks(ids, TAG_BATCH)) {
    try {
      await write(batch);
      done.push(...batch);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      for (const id of batch) {
        try {
          await write([id]);
          done.push(id);
        } catch (one) {
          if (!isNotFound(one)) throw one;
        }
      }
    }
  }
  return done;
}

export function markAssets(ec2: EC2Client, calls: AwsCalls, ids: readonly string[], reapAfter: Date): Promise<string[]> {
  return batched(ids, (Resources) => calls.send((o) => ec2.send(new CreateTagsCommand({ Resources, Tags: [reapAfterTag(reapAfter)] }), o)));
}

export function unmarkAssets(ec2: EC2Client, calls: AwsCalls, ids: readonly string[]): Promise<string[]> {
  return batched(ids, (Resources) => calls.send((o) => ec2.send(new DeleteTagsCommand({ Resources, Tags: [{ Key: TAG.reapAfter }] }), o)));
}

/** Calls `markAssets` / `unmarkAssets` make for `n` ids when nothing vanished. */
export const tagCalls = (n: number): number => Math.ceil(n / TAG_BATCH);

/** Target marks by target id (`tgArn|instanceId`). */
export async function loadTargetMarks(store: Store): Promise<Map<string, Date>> {
  const entry = await store.kvGet(TARGET_MARKS_KEY);
  const out = new Map<string, Date>();
  if (entry && typeof entry.value === 'object' && entry.value !== null) {
    for (const [id, at] of Object.entries(entry.value as Record<string, unknown>)) {
      const date = typeof at === 'string' ? parseTagTime(at) : null;
      if (date) out.set(id, date);
    }
  }
  return out;
}

export async function saveTargetMarks(store: Store, marks: ReadonlyMap<string, Date>, now: Date): Promise<void> {
  const value: Record<string, string> = {};
  for (const [id, at] of marks) value[id] = formatTagTime(at);
  await store.kvSet(TARGET_MARKS_KEY, value, now);
}
