// `/stage <verb> …`. Parsing is synchronous and cheap, so bad input and help are answered in the ack
// itself; everything else is acknowledged at once (Slack allows 3 s; this takes milliseconds) and
// done afterwards: claim the delivery (a Slack retry does nothing twice), check the rules, run the
// command, answer through response_url or, for a launch, with the run's parent message.
import type { App, RespondFn } from '@slack/bolt';
import { helpText, parseSlackText, type Command } from '../../commands/index.ts';
import { sanitizeRequester } from '../../domain/requester.ts';
import { isUserError, PermissionError } from '../../errors.ts';
import { commandContext, type FrontDeps } from './front-deps.ts';
import { postParent } from './launch-parent.ts';
import { codeBlock, esc } from './mrkdwn.ts';
import { renderResult, renderRunChange, renderTornDown, type Reply } from './render-result.ts';

/** Slack's own form of the command name is accepted under any name the manifest gives it. */
const ANY_COMMAND = /^\/[\w-]+$/;

export function deliveryKeyOfCommand(body: { trigger_id?: string; response_url?: string }): string {
  return `slack:command:${body.trigger_id ?? body.response_url ?? 'unknown'}`;
}

export function errorText(err: unknown): string {
  // The core's refusals name the rule ("only admins may…"); Slack's admins are this config list.
  if (err instanceof PermissionError) return `:no_entry: ${esc(err.message)} (admins: \`slack.admins\` in stagebot.yml)`;
  if (isUserError(err)) return `:warning: ${esc(err.message)}`;
  return ':boom: stagebot hit an internal error; it is in the log. Try again, or ask the platform team.';
}

async function answer(respond: RespondFn, reply: Reply): Promise<void> {
  await respond({ response_type: reply.visibility, text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) });
}

export function registerCommand(app: App, deps: FrontDeps): void {
  const { logger } = deps;
  app.command(ANY_COMMAND, async ({ command, ack, respond }) => {
    const prefix = command.command;
    let cmd: Command;
    try {
      cmd = parseSlackText(command.text ?? '', commandContext(deps.config));
    } catch (err) {
      if (!isUserError(err)) throw err;
      await ack({ response_type: 'ephemeral', text: errorText(err) });
      return;
    }
    if (cmd.verb === 'help') {
      await ack({ response_type: 'ephemeral', text: codeBlock(helpText(cmd.topic, { prefix, context: commandContext(deps.config) })) });
      return;
    }
    await ack();
    // From here on Slack has its answer; whatever happens is reported through response_url.
    deps.afterAck.run(`/stage ${cmd.verb}`, async () => {
      try {
        await carryOut(deps, cmd, command, respond);
      } catch (err) {
        if (!isUserError(err)) logger.error({ err, verb: cmd.verb, user: command.user_id }, 'slash command failed');
        await respond({ response_type: 'ephemeral', text: errorText(err) }).catch((e: unknown) => logger.warn({ err: e }, 'could not answer through response_url'));
      }
    });
  });
}

/**
 * Where `cancel` or `teardown` was typed, says so again once the teardown is done (or that it could
 * not delete everything). Bounded by the teardown's own time limit and a response_url's life (30 min).
 */
function followTeardown(deps: FrontDeps, verb: 'cancel' | 'teardown', runId: string, by: string, respond: RespondFn): void {
  const withinMs = Math.min(30 * 60_000, deps.config.runs.stepTimeouts.teardown + 5 * 60_000);
  deps.afterAck.follow(`/stage ${verb} (teardown)`, async () => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), withinMs);
      timer.unref();
    });
    try {
      const run = await Promise.race([deps.commands.follow(runId), late]);
      if (!run) return deps.logger.warn({ runId, withinMs }, `the ${verb} asked from Slack had not torn the run down in time to say so`);
      const reply = renderTornDown(verb, await deps.commands.view(run), by);
      if (reply) await answer(respond, reply);
    } finally {
      clearTimeout(timer);
    }
  });
}

interface CommandBody {
  user_id: string;
  channel_id: string;
  trigger_id: string;
  response_url: string;
  command: string;
}

async function carryOut(deps: FrontDeps, cmd: Exclude<Command, { verb: 'help' }>, body: CommandBody, respond: RespondFn): Promise<void> {
  const { memory, commands, permissions, threads, logger } = deps;
  const prefix = body.command;
  if (!(await memory.claimDelivery(deliveryKeyOfCommand(body), commands.now()))) {
    logger.info({ user: body.user_id, verb: cmd.verb }, 'Slack delivered a command again; it was handled the first time');
    return;
  }
  const decision = await permissions.check(cmd.verb, { userId: body.user_id, channelId: body.channel_id }, { reap: cmd.verb === 'sweep' && cmd.mode === 'reap', prefix });
  if (!decision.allowed) {
    logger.info({ user: body.user_id, channel: body.channel_id, verb: cmd.verb, rule: decision.rule }, 'Slack command refused');
    await respond({ response_type: 'ephemeral', text: `:no_entry: ${decision.message}` });
    return;
  }
  const actor = { requester: sanitizeRequester('slack', body.user_id), source: 'slack' as const, admin: decision.admin };
  const result = await commands.execute(cmd, actor);
  if (result.kind === 'launched') {
    await postParent(deps, result.run, body.channel_id, (text) => respond({ response_type: 'ephemeral', text }).then(() => undefined), prefix);
    return;
  }
  if (cmd.verb === 'retest' && result.kind === 'run') {
    threads.refresh(result.view.run.id);
    await answer(respond, renderRunChange('retest', result.view, actor.requester));
    return;
  }
  if ((cmd.verb === 'cancel' || cmd.verb === 'teardown' || cmd.verb === 'extend') && result.kind === 'run') {
    threads.refresh(result.view.run.id);
    await answer(respond, renderRunChange(cmd.verb, result.view, actor.requester));
    if (cmd.verb !== 'extend') followTeardown(deps, cmd.verb, result.view.run.id, actor.requester, respond);
    return;
  }
  await answer(respond, renderResult(result, prefix));
}
