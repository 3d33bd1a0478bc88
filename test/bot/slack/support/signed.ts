// Requests as Slack sends them: form-encoded slash commands and interactivity payloads, JSON events,
// each signed `v0=HMAC-SHA256(secret, "v0:<timestamp>:<body>")`.
import { createHmac } from 'node:crypto';

export interface SignOptions {
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Replace the signature (forgeries); null leaves the headers out. */
  signature?: string | null;
  retryNum?: number;
}

export function signature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function signedHeaders(secret: string, body: string, contentType: string, opts: SignOptions = {}): Record<string, string> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': contentType };
  if (opts.signature !== null) {
    headers['x-slack-request-timestamp'] = String(timestamp);
    headers['x-slack-signature'] = opts.signature ?? signature(secret, timestamp, body);
  }
  if (opts.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  return headers;
}

export interface SlackResponse {
  status: number;
  body: string;
  /** Milliseconds from sending to the whole answer. */
  ms: number;
}

export async function send(url: string, body: string, headers: Record<string, string>): Promise<SlackResponse> {
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, body: text, ms: performance.now() - started };
}

let triggers = 0;

export interface CommandFields {
  text: string;
  user_id?: string;
  channel_id?: string;
  command?: string;
  trigger_id?: string;
  response_url: string;
}

export function slashCommandBody(fields: CommandFields): string {
  triggers += 1;
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    team_domain: 'acme',
    channel_id: fields.channel_id ?? 'C0STAGING',
    channel_name: 'staging',
    user_id: fields.user_id ?? 'U0ALICE',
    user_name: 'alice',
    command: fields.command ?? '/stage',
    text: fields.text,
    api_app_id: 'A0STAGEBOT',
    is_enterprise_install: 'false',
    response_url: fields.response_url,
    trigger_id: fields.trigger_id ?? `${Date.now()}.${process.pid}.${triggers}`,
  }).toString();
}

export function sendSlashCommand(url: string, secret: string, fields: CommandFields, opts: SignOptions = {}): Promise<SlackResponse> {
  const body = slashCommandBody(fields);
  return send(url, body, signedHeaders(secret, body, 'application/x-www-form-urlencoded', opts));
}

export interface ButtonClick {
  actionId: string;
  value: string;
  userId?: string;
  channelId?: string;
  messageTs: string;
  responseUrl: string;
}

export function blockActionsBody(click: ButtonClick): string {
  triggers += 1;
  const payload = {
    type: 'block_actions',
    team: { id: 'T0TEAM', domain: 'acme' },
    user: { id: click.userId ?? 'U0ALICE', username: 'alice', team_id: 'T0TEAM' },
    api_app_id: 'A0STAGEBOT',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: click.messageTs, channel_id: click.channelId ?? 'C0STAGING', is_ephemeral: false },
    trigger_id: `${Date.now()}.${process.pid}.${triggers}`,
    channel: { id: click.channelId ?? 'C0STAGING', name: 'staging' },
    message: { type: 'message', ts: click.messageTs, text: '' },
    response_url: click.responseUrl,
    actions: [
      { type: 'button', action_id: click.actionId, block_id: `run:${click.value}`, value: click.value, text: { type: 'plain_text', text: 'x' }, action_ts: `${Date.now() / 1000}` },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function sendButtonClick(url: string, secret: string, click: ButtonClick, opts: SignOptions = {}): Promise<SlackResponse> {
  const body = blockActionsBody(click);
  return send(url, body, signedHeaders(secret, body, 'application/x-www-form-urlencoded', opts));
}

export function sendEvent(url: string, secret: string, event: Record<string, unknown>, opts: SignOptions = {}): Promise<SlackResponse> {
  const body = JSON.stringify({
    token: 'legacy-verification-token',
    team_id: 'T0TEAM',
    api_app_id: 'A0STAGEBOT',
    type: 'event_callback',
    event_id: `Ev${Date.now()}${(triggers += 1)}`,
    event_time: Math.floor(Date.now() / 1000),
    event,
  });
  return send(url, body, signedHeaders(secret, body, 'application/json', opts));
}
