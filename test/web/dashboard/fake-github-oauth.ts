// GitHub's OAuth web flow and the few API calls the dashboard's sign-in makes, on 127.0.0.1: the
// authorize page (a person clicks "Authorize"), the code-for-token exchange (checking the client
// secret, the code and the redirect URI, once per code), GET /user and org/team membership. Paths as on
// GitHub Enterprise Server: the pages at the root, the API under /api/v3.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class FakeGithubOAuth {
  readonly clientId = 'Iv1.fakeclient0001';
  readonly clientSecret = 'fake-client-secret-0001';
  /** Who "signs in" at the authorize page next. */
  nextLogin = 'octocat';
  /** org -> active members; `org/team` -> active members. */
  readonly members = new Map<string, Set<string>>();
  readonly exchanges: { code: string; redirectUri: string; ok: boolean }[] = [];
  readonly #codes = new Map<string, { login: string; redirectUri: string }>();
  readonly #tokens = new Map<string, string>();
  #server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((req, res) => void this.#handle(req, res).catch(() => res.writeHead(500).end()));
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.#server!.address() as AddressInfo).port}`;
    return this;
  }

  get apiUrl(): string {
    return `${this.url}/api/v3`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      const state = url.searchParams.get('state') ?? '';
      if (url.searchParams.get('client_id') !== this.clientId) return void res.writeHead(404).end('unknown client');
      const code = randomBytes(8).toString('hex');
      this.#codes.set(code, { login: this.nextLogin, redirectUri });
      const back = `${redirectUri}?code=${code}&state=${encodeURIComponent(state)}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(`<!doctype html><title>Authorize</title><h1>Authorize stagebot</h1><p>Signed in as ${this.nextLogin}</p><a id="authorize" href="${back.replaceAll('&', '&amp;')}">Authorize</a>`);
    }
    if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
      let raw = '';
      for await (const chunk of req) raw += String(chunk);
      const body = (req.headers['content-type'] ?? '').includes('json') ? (JSON.parse(raw) as Record<string, string>) : Object.fromEntries(new URLSearchParams(raw));
      const pending = this.#codes.get(body.code ?? '');
      const ok = !!pending && body.client_id === this.clientId && body.client_secret === this.clientSecret && body.redirect_uri === pending.redirectUri;
      this.exchanges.push({ code: body.code ?? '', redirectUri: body.redirect_uri ?? '', ok });
      if (!ok) return json(200, { error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.', error_uri: 'https://docs.github.com' });
      this.#codes.delete(body.code ?? '');
      const token = `ghu_${randomBytes(12).toString('hex')}`;
      this.#tokens.set(token, pending.login);
      return json(200, { access_token: token, token_type: 'bearer', scope: '' });
    }
    const login = this.#tokens.get(String(req.headers.authorization ?? '').replace(/^(token|bearer) /i, ''));
    if (url.pathname.startsWith('/api/v3/') && !login) return json(401, { message: 'Bad credentials' });
    if (req.method === 'GET' && url.pathname === '/api/v3/user') return json(200, { login, id: 1, type: 'User' });
    const org = /^\/api\/v3\/user\/memberships\/orgs\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && org) {
      return this.members.get(org[1]!)?.has(login!) ? json(200, { state: 'active', role: 'member' }) : json(404, { message: 'Not Found' });
    }
    const team = /^\/api\/v3\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && team) {
      return this.members.get(`${team[1]}/${team[2]}`)?.has(team[3]!) ? json(200, { state: 'active', role: 'member' }) : json(404, { message: 'Not Found' });
    }
    json(404, { message: 'Not Found' });
  }
}
