// The Slack front end to end: stagebot's real HTTP server with the front mounted at /slack/events,
// the services (engine, store, command runner) on the engine harness' fake cloud and loopback sshd,
// and the fake Slack Web API the front talks to.
import type { Services } from '../../../../src/app/open-services.ts';
import { createSlackFront, type SlackFront } from '../../../../src/bot/slack/index.ts';
import type { Run } from '../../../../src/domain/run.ts';
import { silentLogger, type Logger } from '../../../../src/observability/logger.ts';
import type { RunningServer } from '../../../../src/web/server.ts';
import { createWorld, type Fixtures, type World, type WorldOptions } from '../../../pipeline/engine/harness.ts';
import { serveFront } from '../../../support/served-front.ts';
import { startFakeSlack, type FakeSlack } from './fake-slack.ts';
import { sendButtonClick, sendEvent, sendSlashCommand, type SignOptions, type SlackResponse } from './signed.ts';

export const SECRET = 'stagebot-test-signing-secret';
export const CHANNEL = 'C0STAGING';
export const ADMIN = 'U0ADMIN';
export const QA_GROUP = 'S0QA';

export interface SlackWorldOptions extends WorldOptions {
  /** Changes to the `slack:` section before the config is parsed. */
  slack?: (section: Record<string, any>) => void;
  minIntervalMs?: number;
  logger?: Logger;
  /** Socket Mode: the front connects to the URL the fake's apps.connections.open hands out. */
  socketUrl?: string;
  /** The server's port (default: any free one), for a config whose dashboard.publicUrl must name it. */
  port?: number;
}

export interface SlackWorld {
  world: World;
  services: Services;
  front: SlackFront;
  slack: FakeSlack;
  server: RunningServer;
  eventsUrl: string;
  /** `/stage <text>` from `user` in `channel`; the response_url is `command-<n>`. */
  command(text: string, opts?: { user?: string; channel?: string; triggerId?: string; responseId?: string } & SignOptions): Promise<SlackResponse & { responseId: string }>;
  /** A button click; `value` is the button's value (a run id, or a sweep id for Reap now). */
  click(actionId: string, value: string, messageTs: string, opts?: { user?: string; channel?: string; responseId?: string }): Promise<SlackResponse & { responseId: string }>;
  homeOpened(user: string): Promise<SlackResponse>;
  runs(): Promise<Run[]>;
  /** Waits until the engine's events are stored and the front's Slack updates went out. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

let responses = 0;

export async function startSlackWorld(fx: Fixtures, opts: SlackWorldOptions = {}): Promise<SlackWorld> {
  const world = await createWorld(fx, {
    ...opts,
    configData: (data) => {
      const section: Record<string, any> = { channels: [CHANNEL], admins: { users: [ADMIN], userGroups: [] }, allow: {} };
      opts.slack?.(section);
      data.slack = section;
      opts.configData?.(data);
    },
  });
  const slack = await startFakeSlack();
  slack.socketUrl = opts.socketUrl ?? null;
  const logger = opts.logger ?? silentLogger();
  const served = await serveFront(world, { logger, helpPrefix: '/stage', port: opts.port }, (services) =>
    createSlackFront({
      commands: services.commands,
      memory: services.store,
      logger,
      settings: opts.socketUrl
        ? { enabled: true, mode: 'socket', botToken: 'xoxb-test-token', signingSecret: undefined, appToken: 'xapp-test-token', apiUrl: slack.apiUrl }
        : { enabled: true, mode: 'http', botToken: 'xoxb-test-token', signingSecret: SECRET, appToken: undefined, apiUrl: slack.apiUrl },
      threads: opts.minIntervalMs !== undefined ? { minIntervalMs: opts.minIntervalMs } : {},
    }),
  );
  const { services, front, server } = served;
  const eventsUrl = `${server.url}/slack/events`;

  return {
    world,
    services,
    front,
    slack,
    server,
    eventsUrl,
    async command(text, o = {}) {
      const responseId = o.responseId ?? `command-${(responses += 1)}`;
      const res = await sendSlashCommand(
        eventsUrl,
        SECRET,
        { text, response_url: slack.responseUrl(responseId), ...(o.user ? { user_id: o.user } : {}), ...(o.channel ? { channel_id: o.channel } : {}), ...(o.triggerId ? { trigger_id: o.triggerId } : {}) },
        o,
      );
      return { ...res, responseId };
    },
    async click(actionId, value, messageTs, o = {}) {
      const responseId = o.responseId ?? `click-${(responses += 1)}`;
      const res = await sendButtonClick(eventsUrl, SECRET, {
        actionId,
        value,
        messageTs,
        responseUrl: slack.responseUrl(responseId),
        ...(o.user ? { userId: o.user } : {}),
        ...(o.channel ? { channelId: o.channel } : {}),
      });
      return { ...res, responseId };
    },
    homeOpened: (user) => sendEvent(eventsUrl, SECRET, { type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` }),
    runs: () => services.store.listRuns(),
    async settle() {
      await services.engine.flush();
      await front.idle();
    },
    async close() {
      await served.close();
      await world.close();
      await slack.close();
    },
  };
}
