// A local stand-in for Slack's Web API (what Bolt's WebClient calls through `slackApiUrl`) and for
// response_url: it records every call, answers like Slack, and can answer 429 with Retry-After.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  /** performance.now() when it arrived. */
  at: number;
  /** What the fake answered: 200 or 429. */
  status: number;
  /** The token the call was made with (Authorization: Bearer …). */
  token: string | null;
}

export interface ResponseUrlPost {
  id: string;
  body: Record<string, unknown>;
  at: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: unknown[];
  /** Every chat.update applied to it, oldest first. */
  updates: { text: string; blocks: unknown[]; at: number }[];
}

/** A file that went through files.getUploadURLExternal, the upload and files.completeUploadExternal. */
export interface FakeUpload {
  id: string;
  filename: string;
  /** What the client posted to the upload URL (a multipart body holding the file's bytes). */
  body: Buffer;
  /** Set by files.completeUploadExternal. */
  completed: { title: string | null; channel: string | null; threadTs: string | null } | null;
}

export interface FakeSlack {
  /** Base URL for `slackApiUrl` / SLACK_API_URL (ends with /api/). */
  apiUrl: string;
  /** A response_url Slack would put in a payload. */
  responseUrl(id: string): string;
  calls: ApiCall[];
  responses: ResponseUrlPost[];
  messages: FakeMessage[];
  uploads: FakeUpload[];
  /** User group id -> member user ids, for usergroups.users.list. */
  groups: Record<string, string[]>;
  /** The next `times` calls of `method` get 429 with `Retry-After: retryAfterSec`. */
  rateLimit(method: string, times: number, retryAfterSec: number): void;
  /** Channels where chat.postMessage answers `not_in_channel`. */
  closedChannels: Set<string>;
  /** What apps.connections.open hands out (Socket Mode); unset, it answers an error. */
  socketUrl: string | null;
  callsOf(method: string): ApiCall[];
  /** Top-level messages (not thread replies). */
  parents(): FakeMessage[];
  repliesTo(ts: string): FakeMessage[];
  /** The message as it looks now (its last update). */
  current(ts: string): { text: string; blocks: unknown[] } | null;
  responsesTo(id: string): ResponseUrlPost[];
  /** Polls until `check` returns a value (not undefined/false), bounded. */
  waitFor<T>(what: string, check: () => T | undefined | false | null, withinMs?: number): Promise<T>;
  close(): Promise<void>;
}

async function readBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function parseArgs(type: string | undefined, raw: string): Record<string, unknown> {
  if (type?.startsWith('application/json')) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const args: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    // The WebClient sends objects (blocks, views) as JSON strings inside the form.
    args[k] = /^[[{]/.test(v) ? JSON.parse(v) : v;
  }
  return args;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: ApiCall[] = [];
  const responses: ResponseUrlPost[] = [];
  const messages: FakeMessage[] = [];
  const uploads: FakeUpload[] = [];
  const limits = new Map<string, { times: number; retryAfterSec: number }>();
  const closedChannels = new Set<string>();
  const groups: Record<string, string[]> = {};
  let seq = 0;

  const answer = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEAM', user: 'stagebot' };
      case 'chat.postMessage': {
        const channel = String(args.channel);
        if (closedChannels.has(channel)) return { ok: false, error: 'not_in_channel' };
        seq += 1;
        const ts = `${1_800_000_000 + seq}.${String(seq).padStart(6, '0')}`;
        messages.push({
          channel,
          ts,
          threadTs: typeof args.thread_ts === 'string' ? args.thread_ts : null,
          text: String(args.text ?? ''),
          blocks: Array.isArray(args.blocks) ? args.blocks : [],
          updates: [],
        });
        return { ok: true, channel, ts, message: { text: args.text } };
      }
      case 'chat.update': {
        const m = messages.find((x) => x.ts === args.ts && x.channel === args.channel);
        if (!m) return { ok: false, error: 'message_not_found' };
        m.updates.push({ text: String(args.text ?? ''), blocks: Array.isArray(args.blocks) ? args.blocks : [], at: performance.now() });
        return { ok: true, channel: m.channel, ts: m.ts };
      }
      case 'files.getUploadURLExternal': {
        if (!args.filename || !args.length) return { ok: false, error: 'invalid_arguments' };
        seq += 1;
        const id = `F0UPLOAD${seq}`;
        uploads.push({ id, filename: String(args.filename), body: Buffer.alloc(0), completed: null });
        return { ok: true, upload_url: `${base}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = (Array.isArray(args.files) ? args.files : []) as { id?: string; title?: string }[];
        const found = files.map((f) => uploads.find((u) => u.id === f.id));
        if (files.length === 0 || found.some((u) => !u || u.body.length === 0)) return { ok: false, error: 'file_not_found' };
        files.forEach((f, i) => {
          found[i]!.completed = { title: f.title ?? null, channel: typeof args.channel_id === 'string' ? args.channel_id : null, threadTs: typeof args.thread_ts === 'string' ? args.thread_ts : null };
        });
        return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) };
      }
      case 'views.publish':
        return { ok: true, view: { id: 'V1', ...(args.view as object) } };
      case 'apps.connections.open':
        return fake.socketUrl ? { ok: true, url: fake.socketUrl } : { ok: false, error: 'not_allowed_token_type' };
      case 'usergroups.users.list': {
        const users = groups[String(args.usergroup)];
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer(async (req, res) => {
    const bytes = await readBytes(req);
    const raw = bytes.toString('utf8');
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (path.startsWith('/response/')) {
      responses.push({ id: path.slice('/response/'.length), body: parseArgs('application/json', raw), at: performance.now() });
      return send(200, { ok: true });
    }
    if (path.startsWith('/upload/')) {
      // Slack's upload URL answers 200 with a plain-text body.
      const upload = uploads.find((u) => u.id === path.slice('/upload/'.length));
      if (!upload) return send(404, { ok: false, error: 'not_found' });
      upload.body = bytes;
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(`OK - ${bytes.length}`);
    }
    if (!path.startsWith('/api/')) return send(404, { ok: false, error: 'not_found' });
    const method = path.slice('/api/'.length);
    const args = parseArgs(req.headers['content-type'], raw);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
    const limit = limits.get(method);
    if (limit && limit.times > 0) {
      limit.times -= 1;
      calls.push({ method, args, at: performance.now(), status: 429, token });
      return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.retryAfterSec) });
    }
    calls.push({ method, args, at: performance.now(), status: 200, token });
    return send(200, answer(method, args));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const fake: FakeSlack = {
    apiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response/${id}`,
    calls,
    responses,
    messages,
    uploads,
    groups,
    closedChannels,
    socketUrl: null,
    rateLimit(method, times, retryAfterSec) {
      limits.set(method, { times, retryAfterSec });
    },
    callsOf: (method) => calls.filter((c) => c.method === method),
    parents: () => messages.filter((m) => m.threadTs === null),
    repliesTo: (ts) => messages.filter((m) => m.threadTs === ts),
    current(ts) {
      const m = messages.find((x) => x.ts === ts);
      if (!m) return null;
      const last = m.updates.at(-1);
      return last ? { text: last.text, blocks: last.blocks } : { text: m.text, blocks: m.blocks };
    },
    responsesTo: (id) => responses.filter((r) => r.id === id),
    async waitFor(what, check, withinMs = 15_000) {
      const deadline = performance.now() + withinMs;
      for (;;) {
        const value = check();
        if (value !== undefined && value !== false && value !== null) return value as never;
        if (performance.now() > deadline) throw new Error(`fake Slack: still waiting for ${what} after ${withinMs} ms`);
        await delay(20);
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** Every mrkdwn/plain text inside a message's blocks, joined: what a person would read. */
export function blockText(blocks: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') out.push(o.text);
    for (const [k, v] of Object.entries(o)) if (k !== 'confirm' && typeof v === 'object') walk(v);
  };
  walk(blocks);
  return out.join('\n');
}

/** The action ids of a message's buttons. */
export function buttonsOf(blocks: unknown): { actionId: string; value: string; text: string }[] {
  const found: { actionId: string; value: string; text: string }[] = [];
  for (const b of (blocks as Record<string, unknown>[]) ?? []) {
    if (b.type !== 'actions') continue;
    for (const e of b.elements as Record<string, unknown>[]) {
      found.push({ actionId: String(e.action_id), value: String(e.value), text: String((e.text as { text: string }).text) });
    }
  }
  return found;
}
