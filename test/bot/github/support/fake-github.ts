// A small stateful GitHub REST API on 127.0.0.1 for the GitHub front's tests: App JWT → installation
// token, collaborator permission, pulls.get, reactions, check runs and issue comments. Every request
// is recorded; App-authenticated calls must carry a JWT signed with the App's key, and everything
// else a token this server issued, as GitHub would insist.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startLocalHttp, type LocalHttp } from '../../../support/local-http.ts';
import { verify, type KeyObject } from 'node:crypto';

export interface RecordedRequest {
  method: string;
  path: string;
  body: any;
  auth: string | null;
  at: number;
}

export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  external_id: string | null;
  status: string;
  conclusion: string | null;
  output: { title: string; summary: string };
  /** The "Details" link, when one was sent. */
  details_url: string | null;
  /** Every state the check run was in, create first. */
  history: { name: string; status: string; conclusion: string | null; output: { title: string; summary: string } }[];
}

export interface FakeComment {
  id: number;
  issue: number;
  body: string;
  history: string[];
}

export interface FakeReaction {
  id: number;
  commentId: number;
  content: string;
  deleted: boolean;
}

type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none' | 'error';

interface Route {
  method: string;
  pattern: RegExp;
  handle: (m: string[], req: RecordedRequest) => { status: number; body?: unknown };
}

export class FakeGithub {
  readonly requests: RecordedRequest[] = [];
  /** Permission per login; unknown logins have `none`. `error` answers 500. */
  readonly permissions = new Map<string, Permission>();
  /** pulls.get answers, by number. */
  readonly pulls = new Map<number, unknown>();
  readonly checkRuns = new Map<number, FakeCheckRun>();
  readonly comments = new Map<number, FakeComment>();
  readonly reactions: FakeReaction[] = [];
  /** When set, reaction calls answer 500. */
  failReactions = false;
  /** Installation id per lowercased `owner/name`. */
  readonly installations = new Map<string, number>();
  readonly #tokens = new Set<string>();
  readonly #appId: string;
  readonly #publicKey: KeyObject;
  #server: LocalHttp | null = null;
  #nextId = 1000;
  url = '';

  constructor(opts: { appId: string; publicKey: KeyObject }) {
    this.#appId = opts.appId;
    this.#publicKey = opts.publicKey;
  }

  async start(): Promise<this> {
    this.#server = await startLocalHttp((req, res) => this.#handle(req, res));
    this.url = this.#server.url;
    return this;
  }

  async stop(): Promise<void> {
    if (!this.#server) return;
    await this.#server.stop();
    this.#server = null;
  }

  /** Requests matching `METHOD /path-regex`. */
  calls(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  /** Reactions still on a comment. */
  reactionsOn(commentId: number): string[] {
    return this.reactions.filter((r) => r.commentId === commentId && !r.deleted).map((r) => r.content);
  }

  commentsOn(issue: number): FakeComment[] {
    return [...this.comments.values()].filter((c) => c.issue === issue);
  }

  readonly #routes: Route[] = [
    {
      method: 'POST',
      pattern: /^\/app\/installations\/(\d+)\/access_tokens$/,
      handle: ([, id], req) => {
        if (!this.#validJwt(req.auth)) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
        const token = `ghs_fake_${id}_${this.#tokens.size + 1}`;
        this.#tokens.add(token);
        return {
          status: 201,
          body: { token, expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { checks: 'write', issues: 'write', pull_requests: 'write' }, repository_selection: 'all' },
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/installation$/,
      handle: ([, owner, repo], req) => {
        if (!this.#validJwt(req.auth)) return { status: 401, body: { message: 'bad JWT' } };
        const id = this.installations.get(`${owner}/${repo}`.toLowerCase());
        return id === undefined ? { status: 404, body: { message: 'Not Found' } } : { status: 200, body: { id, account: { login: owner } } };
      },
    },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/collaborators\/([^/]+)\/permission$/,
      handle: ([, , , login]) => {
        const p = this.permissions.get(login!) ?? 'none';
        if (p === 'error') return { status: 500, body: { message: 'Server Error' } };
        const permission = p === 'maintain' ? 'write' : p === 'triage' ? 'read' : p;
        return { status: 200, body: { permission, role_name: p, user: { login } } };
      },
    },
    {
      method: 'GET',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/,
      handle: ([, , , n]) => {
        const pull = this.pulls.get(Number(n));
        return pull ? { status: 200, body: pull } : { status: 404, body: { message: 'Not Found' } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions$/,
      handle: ([, , , commentId], req) => {
        if (this.failReactions) return { status: 500, body: { message: 'Server Error' } };
        const reaction: FakeReaction = { id: this.#nextId++, commentId: Number(commentId), content: String(req.body?.content), deleted: false };
        this.reactions.push(reaction);
        return { status: 201, body: { id: reaction.id, content: reaction.content, user: { login: 'stagebot[bot]', type: 'Bot' } } };
      },
    },
    {
      method: 'DELETE',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)\/reactions\/(\d+)$/,
      handle: ([, , , commentId, id]) => {
        if (this.failReactions) return { status: 500, body: { message: 'Server Error' } };
        const reaction = this.reactions.find((r) => r.id === Number(id) && r.commentId === Number(commentId) && !r.deleted);
        if (!reaction) return { status: 404, body: { message: 'Not Found' } };
        reaction.deleted = true;
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/check-runs$/,
      handle: ([, owner, repo], req) => {
        const b = req.body ?? {};
        if (!b.name || !/^[0-9a-f]{40}$/.test(b.head_sha ?? '')) return { status: 422, body: { message: 'Validation Failed' } };
        const run: FakeCheckRun = {
          id: this.#nextId++,
          name: b.name,
          head_sha: b.head_sha,
          external_id: b.external_id ?? null,
          status: b.status ?? 'queued',
          conclusion: b.conclusion ?? null,
          output: b.output ?? { title: '', summary: '' },
          details_url: b.details_url ?? null,
          history: [],
        };
        run.history.push({ name: run.name, status: run.status, conclusion: run.conclusion, output: run.output });
        this.checkRuns.set(run.id, run);
        return { status: 201, body: { ...this.#checkRunBody(run), html_url: `https://github.com/${owner}/${repo}/runs/${run.id}` } };
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/check-runs\/(\d+)$/,
      handle: ([, owner, repo, id], req) => {
        const run = this.checkRuns.get(Number(id));
        if (!run) return { status: 404, body: { message: 'Not Found' } };
        const b = req.body ?? {};
        if (b.status === 'completed' && !b.conclusion) return { status: 422, body: { message: 'conclusion required' } };
        if (b.name) run.name = b.name;
        if (b.status) run.status = b.status;
        if (b.conclusion) run.conclusion = b.conclusion;
        if (b.output) run.output = b.output;
        if (b.details_url) run.details_url = b.details_url;
        run.history.push({ name: run.name, status: run.status, conclusion: run.conclusion, output: run.output });
        return { status: 200, body: { ...this.#checkRunBody(run), html_url: `https://github.com/${owner}/${repo}/runs/${run.id}` } };
      },
    },
    {
      method: 'POST',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/,
      handle: ([, owner, repo, issue], req) => {
        const body = String(req.body?.body ?? '');
        const comment: FakeComment = { id: this.#nextId++, issue: Number(issue), body, history: [body] };
        this.comments.set(comment.id, comment);
        return { status: 201, body: { id: comment.id, body, html_url: `https://github.com/${owner}/${repo}/pull/${issue}#issuecomment-${comment.id}`, user: { login: 'stagebot[bot]', type: 'Bot' } } };
      },
    },
    {
      method: 'PATCH',
      pattern: /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/,
      handle: ([, , , id], req) => {
        const comment = this.comments.get(Number(id));
        if (!comment) return { status: 404, body: { message: 'Not Found' } };
        comment.body = String(req.body?.body ?? '');
        comment.history.push(comment.body);
        return { status: 200, body: { id: comment.id, body: comment.body } };
      },
    },
  ];

  #checkRunBody(run: FakeCheckRun) {
    return { id: run.id, name: run.name, head_sha: run.head_sha, external_id: run.external_id, status: run.status, conclusion: run.conclusion, output: run.output };
  }

  /** `Bearer <JWT>` signed RS256 with the App's private key, issued for this App, not expired. */
  #validJwt(auth: string | null): boolean {
    const m = /^bearer (.+)$/i.exec(auth ?? '');
    const parts = m?.[1]?.split('.');
    if (!parts || parts.length !== 3) return false;
    const [header, payload, signature] = parts as [string, string, string];
    const ok = verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), this.#publicKey, Buffer.from(signature, 'base64url'));
    if (!ok) return false;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss?: unknown; exp?: number };
    return String(claims.iss) === this.#appId && (claims.exp ?? 0) * 1000 > Date.now();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString();
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      body: text ? JSON.parse(text) : null,
      auth: req.headers.authorization ?? null,
      at: performance.now(),
    };
    this.requests.push(recorded);
    const send = (status: number, body?: unknown) => {
      const payload = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
    };
    const route = this.#routes.find((r) => r.method === recorded.method && r.pattern.test(path));
    if (!route) return send(404, { message: `fake GitHub has no ${recorded.method} ${path}` });
    const appRoute = path.startsWith('/app/') || path.endsWith('/installation');
    if (!appRoute && !this.#tokens.has((recorded.auth ?? '').replace(/^token /i, ''))) {
      return send(401, { message: 'Bad credentials' });
    }
    const result = route.handle(route.pattern.exec(path)!.slice(0), recorded);
    send(result.status, result.body);
  }
}
