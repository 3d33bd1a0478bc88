// The few Web API calls the front makes, behind an interface so renderers and the thread tracker
// can be tested without HTTP. One WebClient, pointed at SLACK_API_URL when set (proxies, tests).
import { webApi, type Logger as BoltLogger, type types } from '@slack/bolt';

export type Block = types.KnownBlock;
export type HomeView = types.HomeView;

export interface SlackMessage {
  /** Notification and fallback text; Slack shows it where blocks cannot be shown. */
  text: string;
  blocks?: Block[];
}

export interface MessageRef {
  channel: string;
  ts: string;
}

export interface SlackApi {
  postMessage(channel: string, message: SlackMessage, threadTs?: string): Promise<MessageRef>;
  updateMessage(at: MessageRef, message: SlackMessage): Promise<void>;
  publishHome(userId: string, view: HomeView): Promise<void>;
  userGroupMembers(groupId: string): Promise<string[]>;
  /** A link that opens the message in Slack (chat.getPermalink); null when Slack gave none. */
  permalink(at: MessageRef): Promise<string | null>;
  /** Uploads a file into a thread (files.getUploadURLExternal, the upload, files.completeUploadExternal). */
  uploadFile(o: { channel: string; threadTs: string; filename: string; title: string; data: Buffer; altText?: string }): Promise<void>;
  /** Who the bot is (auth.test); null when Slack did not say. */
  whoAmI(): Promise<{ userId: string | null; botId: string | null; teamId: string | null }>;
}

export interface WebClientOptions {
  token: string;
  /** Base URL of the Web API, e.g. `https://slack.com/api/`; default Slack's. */
  apiUrl?: string | undefined;
  logger: BoltLogger;
  /** Milliseconds before one HTTP call to Slack is abandoned. */
  timeoutMs?: number;
}

/** `https://proxy/api` and `https://proxy/api/` both work: the client appends the method name. */
export function normalizeApiUrl(url: string | undefined): string | undefined {
  if (url === undefined || url.trim() === '') return undefined;
  return url.endsWith('/') ? url : `${url}/`;
}

export function webClientOptions(opts: Omit<WebClientOptions, 'token'>): webApi.WebClientOptions {
  const slackApiUrl = normalizeApiUrl(opts.apiUrl);
  return {
    ...(slackApiUrl ? { slackApiUrl } : {}),
    logger: opts.logger,
    // Network errors and 5xx are retried a little; 429s come back to the caller (see rate-limit.ts).
    retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2_000 },
    rejectRateLimitedCalls: true,
    timeout: opts.timeoutMs ?? 15_000,
  };
}

export function createSlackApi(opts: WebClientOptions): SlackApi {
  const client = new webApi.WebClient(opts.token, webClientOptions(opts));
  return {
    async postMessage(channel, message, threadTs) {
      const res = await client.chat.postMessage({
        channel,
        text: message.text,
        ...(message.blocks ? { blocks: message.blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!res.ts || !res.channel) throw new Error('chat.postMessage answered without ts or channel');
      return { channel: res.channel, ts: res.ts };
    },
    async updateMessage(at, message) {
      await client.chat.update({ channel: at.channel, ts: at.ts, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) });
    },
    async publishHome(userId, view) {
      await client.views.publish({ user_id: userId, view });
    },
    async userGroupMembers(groupId) {
      const res = await client.usergroups.users.list({ usergroup: groupId });
      return res.users ?? [];
    },
    async permalink(at) {
      const res = await client.chat.getPermalink({ channel: at.channel, message_ts: at.ts });
      return res.permalink ?? null;
    },
    async uploadFile(o) {
      await client.files.uploadV2({
        channel_id: o.channel,
        thread_ts: o.threadTs,
        file: o.data,
        filename: o.filename,
        title: o.title,
        ...(o.altText ? { alt_text: o.altText } : {}),
      });
    },
    async whoAmI() {
      const res = await client.auth.test();
      return { userId: res.user_id ?? null, botId: res.bot_id ?? null, teamId: res.team_id ?? null };
    },
  };
}

/** The Slack error code of a failed call (`not_in_channel`, `channel_not_found`...), or null. */
export function slackErrorCode(err: unknown): string | null {
  const data = (err as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === 'string' ? data.error : null;
}
