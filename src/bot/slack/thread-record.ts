// Where a run's Slack thread lives, kept in the store's kv so that whichever replica drives the run
// (or adopts it after a crash, or tears a kept run down hours later) updates the same thread.
import type { SlackMemory } from './ports.ts';

export interface ThreadRecord {
  channel: string;
  /** The parent message. */
  ts: string;
  /** Steps whose threaded reply has gone out, so a replica that adopts the run does not repeat them. */
  replied: string[];
  /** The run this one reruns (its failed browsers). */
  rerunOf?: string;
  /** The run started by this one's "Rerun failed browsers". */
  rerunAs?: string;
  /** Who asked to keep the environment (the Keep 2h button). */
  keptBy?: string;
}

const PREFIX = 'slack:thread:';

export function threadKey(runId: string): string {
  return `${PREFIX}${runId}`;
}

function parse(value: unknown): ThreadRecord | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.channel !== 'string' || typeof v.ts !== 'string') return null;
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  const rerunOf = str(v.rerunOf);
  const rerunAs = str(v.rerunAs);
  const keptBy = str(v.keptBy);
  return {
    channel: v.channel,
    ts: v.ts,
    replied: Array.isArray(v.replied) ? v.replied.filter((s): s is string => typeof s === 'string') : [],
    ...(rerunOf ? { rerunOf } : {}),
    ...(rerunAs ? { rerunAs } : {}),
    ...(keptBy ? { keptBy } : {}),
  };
}

export async function loadThread(memory: Pick<SlackMemory, 'kvGet'>, runId: string): Promise<ThreadRecord | null> {
  return parse((await memory.kvGet(threadKey(runId)))?.value);
}

export async function saveThread(memory: Pick<SlackMemory, 'kvSet'>, runId: string, record: ThreadRecord, at?: Date): Promise<void> {
  await memory.kvSet(threadKey(runId), record, at);
}
