// The Slack front: `/stage` commands, the run threads, the buttons and the App Home tab, built with
// Bolt and mounted on stagebot's one HTTP server at /slack/events (or over Socket Mode).
import { App, HTTPReceiver, SocketModeReceiver, type Receiver } from '@slack/bolt';
import type { SweepReport } from '../../commands/reports.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Front } from '../../web/routes.ts';
import { AfterAck } from './after-ack.ts';
import { boltLogger } from './bolt-logger.ts';
import type { FrontDeps } from './front-deps.ts';
import { registerActions } from './handle-actions.ts';
import { registerCommand } from './handle-command.ts';
import { registerHome } from './handle-home.ts';
import { registerReapNow } from './handle-reap-now.ts';
import type { SlackCommands, SlackMemory } from './ports.ts';
import { httpHandler, socketModeHandler } from './mount.ts';
import { Permissions } from './permissions.ts';
import type { SlackSettings } from './settings.ts';
import { withRetryAfter } from './rate-limit.ts';
import { renderSweepReport } from './render-sweep.ts';
import { saveLastReport } from './report-record.ts';
import { createSlackApi, webClientOptions, type SlackApi } from './slack-api.ts';
import { RunThreads } from './threads.ts';
import { Turns } from './turns.ts';
import { UserGroups } from './user-groups.ts';

export { slackSettings, type SlackSettings } from './settings.ts';
export type { SlackCommands, SlackMemory } from './ports.ts';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackFrontDeps {
  commands: SlackCommands;
  /** Thread locations, the last daily report, delivery claims (src/app wires the store). */
  memory: SlackMemory;
  logger: Logger;
  settings: Extract<SlackSettings, { enabled: true }>;
  /** Tuning for tests: least time between two updates of one message, elapsed-time refresh. */
  threads?: { minIntervalMs?: number; refreshMs?: number };
}

export type SlackFront = Extract<Front, { enabled: true }> & {
  threads: RunThreads;
  slack: SlackApi;
  /** Posts the daily sweep report to `sweeper.reportChannel` (for scheduleSweeps' `post`); without one, does nothing. */
  postSweepReport(report: SweepReport): Promise<void>;
  /** Resolves when the work of every acknowledged command and click is done, and its Slack updates went out. */
  idle(withinMs?: number): Promise<void>;
  /** Stops the thread updates (after a last flush) and, in Socket Mode, the connection. */
  stop(): Promise<void>;
};

function receiverFor(settings: SlackFrontDeps['settings'], logger: ReturnType<typeof boltLogger>): { receiver: Receiver; http: HTTPReceiver | null } {
  if (settings.mode === 'socket') {
    const receiver = new SocketModeReceiver({
      appToken: settings.appToken ?? '',
      logger,
      // apps.connections.open goes where the rest of the Web API goes (SLACK_API_URL).
      installerOptions: { clientOptions: webClientOptions({ apiUrl: settings.apiUrl, logger }) },
    });
    return { receiver, http: null };
  }
  const http = new HTTPReceiver({
    signingSecret: settings.signingSecret ?? '',
    endpoints: SLACK_EVENTS_PATH,
    logger,
    // Ack first, work after: the HTTP answer goes out as soon as a listener calls ack().
    processBeforeResponse: false,
  });
  return { receiver: http, http };
}

export async function createSlackFront(deps: SlackFrontDeps): Promise<SlackFront> {
  const { commands, memory, settings, logger } = deps;
  const { config } = commands;
  const log = logger.child({ front: 'slack' });
  const bolt = boltLogger(log);
  const slack = createSlackApi({ token: settings.botToken, apiUrl: settings.apiUrl, logger: bolt });
  const { receiver, http } = receiverFor(settings, bolt);
  const app = new App({
    receiver,
    logger: bolt,
    // One workspace, one bot token: no auth.test round trip in front of every request's ack.
    authorize: async () => ({ botToken: settings.botToken }),
    ignoreSelf: false,
    clientOptions: webClientOptions({ apiUrl: settings.apiUrl, logger: bolt }),
  });
  app.error(async (err) => {
    log.error({ err }, 'Slack listener failed');
  });

  const prefix = '/stage';
  const turns = new Turns();
  const threads = new RunThreads({ commands, memory, slack, logger: log, prefix, turns, ...deps.threads });
  const groups = new UserGroups({ lookup: (id) => slack.userGroupMembers(id), logger: log });
  const front: FrontDeps = {
    config,
    commands,
    memory,
    slack,
    permissions: new Permissions(config.slack, groups),
    threads,
    afterAck: new AfterAck(log, turns),
    logger: log,
  };
  registerCommand(app, front);
  registerActions(app, front);
  registerReapNow(app, front);
  registerHome(app, front);
  threads.start();

  if (!config.slack || config.slack.channels.length === 0) {
    log.warn('slack.channels is empty in stagebot.yml: only slack.admins may use /stage until channels are configured');
  }
  // Who the token belongs to, for the log; a rejected token shows here rather than at the first command.
  void slack.whoAmI().then(
    (me) => log.info({ botUser: me.userId, team: me.teamId, mode: settings.mode }, 'Slack front ready'),
    (err: unknown) => log.warn({ err }, 'Slack did not accept SLACK_BOT_TOKEN (auth.test failed); commands will be acknowledged, but answers may not reach Slack'),
  );

  if (settings.mode === 'socket') {
    // Connecting may take a while (or retry for long when Slack is away); the server does not wait.
    void app.start().catch((err: unknown) => log.error({ err }, 'Socket Mode could not connect to Slack'));
  }

  return {
    name: 'slack',
    path: SLACK_EVENTS_PATH,
    enabled: true,
    handler: http ? httpHandler(http, log) : socketModeHandler(),
    threads,
    slack,
    async postSweepReport(report) {
      const channel = config.sweeper.reportChannel;
      if (!channel) {
        log.info('no sweeper.reportChannel configured: the daily report is only logged');
        return;
      }
      const posted = await withRetryAfter(() => slack.postMessage(channel, renderSweepReport(report, prefix)));
      // Its "Reap now" acts only while it is the latest report (see report-record.ts).
      await saveLastReport(memory, { sweepId: report.sweepId, channel: posted.channel, ts: posted.ts }, commands.now());
    },
    async idle(withinMs = 30_000) {
      await front.afterAck.idle(withinMs);
      await threads.idle(withinMs);
    },
    async stop() {
      // Work already acknowledged gets a moment to finish (its answers were promised).
      await front.afterAck.idle(5_000).catch((err: unknown) => log.warn({ err }, 'stopping with Slack work unfinished'));
      await threads.stop();
      if (settings.mode === 'socket') await app.stop().catch(() => undefined);
    },
  };
}
