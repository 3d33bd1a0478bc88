// Posting a launched run's parent message and remembering where it went. Used by `/stage launch` and
// by the Rerun button; a channel the bot cannot post in gets an explanation instead of a thread.
import type { Run } from '../../domain/run.ts';
import type { FrontDeps } from './front-deps.ts';
import { code } from './mrkdwn.ts';
import { withRetryAfter } from './rate-limit.ts';
import { slackErrorCode } from './slack-api.ts';

export type Say = (text: string) => Promise<void>;

export async function postParent(deps: FrontDeps, run: Run, channel: string, say: Say, prefix: string, extra: { rerunOf?: string } = {}): Promise<void> {
  const renderedAt = performance.now();
  const message = await deps.threads.render(run.id, extra);
  if (!message) return;
  try {
    const ref = await withRetryAfter(() => deps.slack.postMessage(channel, message));
    await deps.threads.attach(run.id, { channel: ref.channel, ts: ref.ts, replied: [], ...extra }, renderedAt);
  } catch (err) {
    const why = slackErrorCode(err);
    deps.threads.forgo(run.id);
    deps.logger.warn({ err, runId: run.id, channel }, 'could not post the parent message of a run');
    const hint = why === 'not_in_channel' || why === 'channel_not_found' ? 'invite the bot to this channel (`/invite @stagebot`) or launch from a configured channel' : 'Slack refused the message';
    await say(`run ${code(run.id)} ${run.state === 'queued' ? 'is queued' : 'started'}, but its progress thread could not be posted here (${why ?? 'error'}: ${hint}); ${code(`${prefix} status ${run.id}`)} shows how it goes`);
  }
}
