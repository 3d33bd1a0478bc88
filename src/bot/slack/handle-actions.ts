// The parent message's buttons. Each click is acknowledged at once, then checked against the same
// rules as the command it stands for (Cancel: `cancel`, Keep 2h: `extend`, Rerun: `launch`), then its
// delivery key is claimed — so a double click or a Slack retry never cancels, keeps or reruns twice —
// and only then carried out. Refusals and outcomes go to the clicker alone.
import type { App, BlockAction, ButtonAction, RespondFn } from '@slack/bolt';
import type { Verb } from '../../commands/index.ts';
import { isRunId } from '../../commands/index.ts';
import { sanitizeRequester } from '../../domain/requester.ts';
import { isFinished, type Requester, type Run } from '../../domain/run.ts';
import { isUserError } from '../../errors.ts';
import { ACTIONS } from './actions-ids.ts';
import type { FrontDeps } from './front-deps.ts';
import { errorText } from './handle-command.ts';
import { postParent } from './launch-parent.ts';
import { code, when, who } from './mrkdwn.ts';
import { failedBrowsers, KEEP_BUTTON_MS } from './render-parent.ts';
import { loadThread } from './thread-record.ts';

interface Click {
  runId: string;
  userId: string;
  channelId: string | null;
  requester: Requester;
  admin: boolean;
  say: (text: string) => Promise<void>;
}

type ActionHandler = (deps: FrontDeps, click: Click, run: Run) => Promise<void>;

const PREFIX = '/stage';

/** Answers the clicker alone. */
export function tell(respond: RespondFn): (text: string) => Promise<void> {
  return async (text) => {
    await respond({ response_type: 'ephemeral', replace_original: false, text });
  };
}

/** Someone else's run is an admin's business only, as for the commands (the executor's mayTouch). */
function mayTouch(click: Click, run: Run, what: string): string | null {
  if (run.requester === click.requester || click.admin) return null;
  return `run ${code(run.id)} was started by ${who(run.requester)}; only admins (${code('slack.admins')}) may ${what} someone else's run`;
}

/** Claims a click's delivery key: false when a double click or a Slack retry already did. */
export async function claim(deps: FrontDeps, key: string): Promise<boolean> {
  return deps.memory.claimDelivery(`slack:action:${key}`, deps.commands.now());
}

const cancel: ActionHandler = async (deps, click, run) => {
  const refused = mayTouch(click, run, 'cancel');
  if (refused) return click.say(`:no_entry: ${refused}`);
  if (isFinished(run.state)) return click.say(`run ${code(run.id)} already ${run.state}`);
  if (!(await claim(deps, `cancel:${run.id}`))) return click.say(`cancelling ${code(run.id)} was already asked for`);
  await deps.commands.execute({ verb: 'cancel', run: run.id }, { requester: click.requester, source: 'slack', admin: click.admin });
  deps.threads.refresh(run.id);
};

const keep: ActionHandler = async (deps, click, run) => {
  const refused = mayTouch(click, run, 'keep');
  if (refused) return click.say(`:no_entry: ${refused}`);
  // The key names the expiry the clicker saw: a double click counts once, a later "2h more" again.
  if (!(await claim(deps, `keep:${run.id}:${run.expiresAt?.getTime() ?? 'none'}:${run.state === 'kept' ? 'kept' : 'live'}`))) {
    return click.say(`keeping ${code(run.id)} was already asked for`);
  }
  const updated = await deps.commands.keep(run.id, KEEP_BUTTON_MS, click.requester);
  await deps.threads.note(run.id, { keptBy: click.requester });
  await click.say(
    updated.state === 'kept'
      ? `${code(run.id)} is kept until ${updated.expiresAt ? when(updated.expiresAt) : '?'}`
      : `${code(run.id)} will stay up 2h after its tests (unless a step before them fails)`,
  );
};

const rerun: ActionHandler = async (deps, click, run) => {
  if (!isFinished(run.state)) return click.say(`run ${code(run.id)} is still ${run.state}; rerun it once it has ended`);
  if (!run.env) return click.say(`run ${code(run.id)} never got an environment; launch it again`);
  const { browsers: results } = await deps.commands.view(run);
  const failed = failedBrowsers(results);
  const browsers = failed.length > 0 ? failed : run.options.browsers;
  if (!(await claim(deps, `rerun:${run.id}`))) {
    const thread = await loadThread(deps.memory, run.id);
    return click.say(thread?.rerunAs ? `a rerun was already started: ${code(thread.rerunAs)}` : `a rerun of ${code(run.id)} was already asked for`);
  }
  // The rerun is the original requester's run (same env, ref and person), started by this click.
  const result = await deps.commands.execute(
    { verb: 'launch', env: run.env, browsers, keepMs: null, ref: run.options.ref ?? null, dryRun: false },
    { requester: run.requester, source: 'slack', admin: click.admin },
  );
  if (result.kind !== 'launched') return;
  deps.logger.info({ runId: result.run.id, rerunOf: run.id, by: click.requester }, 'rerun of failed browsers launched');
  await deps.threads.note(run.id, { rerunAs: result.run.id });
  const thread = await loadThread(deps.memory, run.id);
  const channel = thread?.channel ?? click.channelId;
  if (channel) await postParent(deps, result.run, channel, click.say, PREFIX, { rerunOf: run.id });
};

const HANDLERS: { actionId: string; verb: Verb; handle: ActionHandler }[] = [
  { actionId: ACTIONS.cancel, verb: 'cancel', handle: cancel },
  { actionId: ACTIONS.keep, verb: 'extend', handle: keep },
  { actionId: ACTIONS.rerun, verb: 'launch', handle: rerun },
];

export function registerActions(app: App, deps: FrontDeps): void {
  for (const { actionId, verb, handle } of HANDLERS) {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: actionId }, async ({ ack, body, action, respond }) => {
      await ack();
      const say = tell(respond);
      deps.afterAck.run(actionId, async () => {
        try {
          const runId = action.value ?? '';
          if (!isRunId(runId)) return await say(`:warning: this button names no run (${code(runId.slice(0, 40))})`);
          const userId = body.user.id;
          const channelId = body.channel?.id ?? null;
          const decision = await deps.permissions.check(verb, { userId, channelId }, { prefix: PREFIX });
          if (!decision.allowed) {
            deps.logger.info({ user: userId, channel: channelId, action: actionId, rule: decision.rule }, 'Slack button refused');
            return await say(`:no_entry: ${decision.message}`);
          }
          const run = await deps.commands.getRun(runId);
          if (!run) return await say(`:warning: no run ${code(runId)}; it may have been pruned`);
          await handle(deps, { runId, userId, channelId, requester: sanitizeRequester('slack', userId), admin: decision.admin, say }, run);
        } catch (err) {
          if (!isUserError(err)) deps.logger.error({ err, action: actionId }, 'Slack button failed');
          await say(errorText(err)).catch((e: unknown) => deps.logger.warn({ err: e }, 'could not answer a button click'));
        }
      });
    });
  }
}
