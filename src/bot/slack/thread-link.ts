// Where a run's Slack thread is, as a link another front can show (the dashboard's run page).
import type { SlackApi } from './slack-api.ts';
import type { SlackMemory } from './ports.ts';
import { loadThread } from './thread-record.ts';

export async function threadLink(memory: Pick<SlackMemory, 'kvGet'>, slack: Pick<SlackApi, 'permalink'>, runId: string): Promise<{ label: string; url: string } | null> {
  const thread = await loadThread(memory, runId);
  if (!thread) return null;
  const url = await slack.permalink({ channel: thread.channel, ts: thread.ts });
  return url ? { label: 'Slack thread', url } : null;
}
