// The daily report's "Reap now" button: `sweep --reap --confirm` for whoever clicks it, under the same
// rule as the command (admins only). Slack's own confirmation dialog has already named what it deletes
// and what that costs a day. The click is acknowledged at once, checked, its delivery key claimed (a
// double click or a Slack retry reaps once), and the result is answered in the report's thread.
// Refusals go to the clicker alone.
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { SweepReport } from '../../commands/reports.ts';
import { sanitizeRequester } from '../../domain/requester.ts';
import { isUserError } from '../../errors.ts';
import { ACTIONS } from './actions-ids.ts';
import type { FrontDeps } from './front-deps.ts';
import { claim, tell } from './handle-actions.ts';
import { errorText } from './handle-command.ts';
import { code, codeBlock, fit } from './mrkdwn.ts';
import { withRetryAfter } from './rate-limit.ts';
import { renderReapResult, renderReapStarted } from './render-reap.ts';
import { loadLastReport } from './report-record.ts';
import type { MessageRef, SlackMessage } from './slack-api.ts';

const PREFIX = '/stage';

/** The audit's report data is a SweepReport (src/audit/service.ts); anything else is shown as its text. */
function asSweepReport(data: unknown): SweepReport | null {
  const d = data as Partial<SweepReport> | null;
  return d && Array.isArray(d.reaped) && Array.isArray(d.skipped) && Array.isArray(d.orphans) ? (d as SweepReport) : null;
}

/** The report message the button is on: the thread the answer goes to. */
function reportMessage(body: BlockAction<ButtonAction>): MessageRef | null {
  const channel = body.channel?.id ?? (typeof body.container.channel_id === 'string' ? body.container.channel_id : null);
  const ts = body.message?.ts ?? (typeof body.container.message_ts === 'string' ? body.container.message_ts : null);
  return channel && ts ? { channel, ts } : null;
}

export function registerReapNow(app: App, deps: FrontDeps): void {
  const { logger, slack } = deps;
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTIONS.reapNow }, async ({ ack, body, action, respond }) => {
    await ack();
    const say = tell(respond);
    deps.afterAck.run(ACTIONS.reapNow, async () => {
      try {
        const value = action.value ?? '';
        if (!/^\d{1,12}$/.test(value)) return await say(`:warning: this button names no sweep (${code(value.slice(0, 40))})`);
        const sweepId = Number(value);
        const userId = body.user.id;
        const channelId = body.channel?.id ?? null;
        const decision = await deps.permissions.check('sweep', { userId, channelId }, { reap: true, prefix: PREFIX });
        if (!decision.allowed) {
          logger.info({ user: userId, channel: channelId, action: ACTIONS.reapNow, rule: decision.rule }, 'Slack button refused');
          return await say(`:no_entry: ${decision.message}`);
        }
        const latest = await loadLastReport(deps.memory);
        if (latest && latest.sweepId !== sweepId) {
          return await say(`:warning: this report (sweep #${sweepId}) has been replaced by a newer one (sweep #${latest.sweepId}); use the *Reap now* button there, after a look at its list`);
        }
        if (!(await claim(deps, `reap-now:${sweepId}`))) return await say(`*Reap now* for this report (sweep #${sweepId}) was already asked for; the result is in its thread`);

        const requester = sanitizeRequester('slack', userId);
        const thread = reportMessage(body) ?? (latest ? { channel: latest.channel, ts: latest.ts } : null);
        // A reap across every region takes a while: the thread says at once that it is under way.
        const started = thread ? await noteStart(deps, thread, requester) : null;
        const finish = async (message: SlackMessage): Promise<void> => {
          if (started) await withRetryAfter(() => slack.updateMessage(started, message));
          else if (thread) await postInThread(deps, thread, message);
          else await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) });
        };
        try {
          const result = await deps.commands.execute({ verb: 'sweep', mode: 'reap', confirm: true }, { requester, source: 'slack', admin: decision.admin });
          if (result.kind !== 'sweep') return;
          const report = asSweepReport(result.report.data);
          logger.info({ user: userId, sweepId, reapSweepId: report?.sweepId, reaped: report?.reaped.length, skipped: report?.skipped.length }, 'Reap now done');
          await finish(report ? renderReapResult(report, requester, PREFIX) : { text: 'Reap now', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: fit(codeBlock(result.report.text)) } }] });
        } catch (err) {
          if (!isUserError(err)) logger.error({ err, sweepId }, 'Reap now failed');
          // The click is spent (its key is claimed); the command is the way to try again.
          const text = `${errorText(err)} — ${code(`${PREFIX} sweep --reap --confirm`)} tries again`;
          await finish({ text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] }).catch((e: unknown) => logger.warn({ err: e }, 'could not report a failed Reap now'));
        }
      } catch (err) {
        if (!isUserError(err)) logger.error({ err, action: ACTIONS.reapNow }, 'Slack button failed');
        await say(errorText(err)).catch((e: unknown) => logger.warn({ err: e }, 'could not answer a button click'));
      }
    });
  });
}

/** The "under way" note in the thread, or null when it could not be posted (the result is posted then). */
async function noteStart(deps: FrontDeps, thread: MessageRef, requester: string): Promise<MessageRef | null> {
  try {
    return await postInThread(deps, thread, renderReapStarted(requester));
  } catch (err) {
    deps.logger.warn({ err, channel: thread.channel }, 'could not post the Reap now note in the report thread');
    return null;
  }
}

async function postInThread(deps: FrontDeps, thread: MessageRef, message: SlackMessage): Promise<MessageRef> {
  return withRetryAfter(() => deps.slack.postMessage(thread.channel, message, thread.ts));
}
