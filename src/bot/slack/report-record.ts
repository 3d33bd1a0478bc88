// Which daily sweep report was posted last, and where, kept in the store's kv so every replica agrees.
// "Reap now" acts only from the latest report: an older one's button would confirm a list that a
// newer report has since replaced, and the confirmation must be about what a person has seen.
import type { SlackMemory } from './ports.ts';

export interface ReportRecord {
  sweepId: number;
  channel: string;
  /** The report message. */
  ts: string;
}

const KEY = 'slack:sweep-report:last';

export async function loadLastReport(memory: Pick<SlackMemory, 'kvGet'>): Promise<ReportRecord | null> {
  const v = (await memory.kvGet(KEY))?.value as Record<string, unknown> | undefined;
  if (!v || typeof v.sweepId !== 'number' || typeof v.channel !== 'string' || typeof v.ts !== 'string') return null;
  return { sweepId: v.sweepId, channel: v.channel, ts: v.ts };
}

export async function saveLastReport(memory: Pick<SlackMemory, 'kvSet'>, record: ReportRecord, at?: Date): Promise<void> {
  await memory.kvSet(KEY, record, at);
}
