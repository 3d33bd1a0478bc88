// A small stateful GitHub repository API on 127.0.0.1 for the manifest-in-GitHub tests: branches
// (git refs), file contents per commit, commits made by PUT contents, pull requests, and a merge the
// test performs (as a person would on github.com). Every request is recorded; each must carry the
// installation token this server was given, as GitHub would insist. `deny` answers 403 to chosen
// requests (an App without Contents: write), as GitHub does.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startLocalHttp, type LocalHttp } from '../../support/local-http.ts';

export interface RepoRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
  auth: string | null;
}

export interface FakePull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'merged';
}

interface Commit {
  files: Map<string, string>;
  message: string;
}

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

export class FakeGithubRepo {
  readonly requests: RepoRequest[] = [];
  readonly branches = new Map<string, string>();
  readonly commits = new Map<string, Commit>();
  readonly pulls: FakePull[] = [];
  /** Requests answered 403 ("Resource not accessible by integration") while this returns true. */
  deny: (r: RepoRequest) => boolean = () => false;
  url = '';
  readonly #owner: string;
  readonly #repo: string;
  readonly #token: string;
  #server: LocalHttp | null = null;
  #seq = 0;

  constructor(opts: { repo: string; token: string; branch: string }) {
    [this.#owner, this.#repo] = opts.repo.split('/') as [string, string];
    this.#token = opts.token;
    const root = this.#commit(new Map(), 'initial commit');
    this.branches.set(opts.branch, root);
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

  /** The file on a branch as GitHub would serve it, or undefined. */
  fileOn(branch: string, path: string): string | undefined {
    return this.commits.get(this.branches.get(branch) ?? '')?.files.get(path);
  }

  /** A commit on `branch` (what someone pushes outside stagebot). */
  push(branch: string, path: string, text: string, message = 'push'): void {
    const parent = this.commits.get(this.branches.get(branch)!)!;
    this.branches.set(branch, this.#commit(new Map([...parent.files, [path, text]]), message));
  }

  /** Merges an open PR: its base branch takes the head branch's files. */
  merge(number: number): void {
    const pull = this.pulls.find((p) => p.number === number && p.state === 'open');
    if (!pull) throw new Error(`no open PR #${number}`);
    const head = this.commits.get(this.branches.get(pull.head)!)!;
    this.branches.set(pull.base, this.#commit(new Map(head.files), `Merge pull request #${number}`));
    pull.state = 'merged';
  }

  #commit(files: Map<string, string>, message: string): string {
    const sha = sha1(`${++this.#seq}:${message}`);
    this.commits.set(sha, { files, message });
    return sha;
  }

  #resolveRef(ref: string): string | undefined {
    return this.branches.get(ref) ?? (this.commits.has(ref) ? ref : undefined);
  }

  #route(r: RepoRequest): { status: number; body?: unknown } {
    const prefix = `/repos/${this.#owner}/${this.#repo}/`;
    if (!r.path.startsWith(prefix)) return { status: 404, body: { message: 'Not Found' } };
    const rest = r.path.slice(prefix.length);
    let m: RegExpMatchArray | null;
    if (r.method === 'GET' && (m = rest.match(/^contents\/(.+)$/))) {
      const sha = this.#resolveRef(r.query.get('ref') ?? 'main');
      const text = sha ? this.commits.get(sha)!.files.get(m[1]!) : undefined;
      if (text === undefined) return { status: 404, body: { message: 'Not Found' } };
      return { status: 200, body: { type: 'file', encoding: 'base64', path: m[1], name: m[1]!.split('/').pop(), sha: sha1(`blob ${text}`), size: text.length, content: Buffer.from(text).toString('base64') } };
    }
    if (r.method === 'GET' && (m = rest.match(/^git\/ref\/heads\/(.+)$/))) {
      const sha = this.branches.get(m[1]!);
      return sha ? { status: 200, body: { ref: `refs/heads/${m[1]}`, object: { sha, type: 'commit' } } } : { status: 404, body: { message: 'Not Found' } };
    }
    if (r.method === 'POST' && rest === 'git/refs') {
      const name = String(r.body?.ref ?? '').replace(/^refs\/heads\//, '');
      if (this.branches.has(name)) return { status: 422, body: { message: 'Reference already exists' } };
      if (!this.commits.has(r.body?.sha)) return { status: 422, body: { message: 'Object does not exist' } };
      this.branches.set(name, r.body.sha);
      return { status: 201, body: { ref: r.body.ref, object: { sha: r.body.sha, type: 'commit' } } };
    }
    if (r.method === 'PUT' && (m = rest.match(/^contents\/(.+)$/))) {
      const path = m[1]!;
      const branch = String(r.body?.branch ?? 'main');
      const head = this.branches.get(branch);
      if (!head) return { status: 404, body: { message: 'Branch not found' } };
      const files = new Map(this.commits.get(head)!.files);
      const existing = files.get(path);
      if (existing !== undefined && r.body?.sha !== sha1(`blob ${existing}`)) return { status: 409, body: { message: `${path} does not match ${r.body?.sha}` } };
      if (existing === undefined && r.body?.sha) return { status: 422, body: { message: 'sha given for a new file' } };
      files.set(path, Buffer.from(String(r.body?.content ?? ''), 'base64').toString('utf8'));
      const sha = this.#commit(files, String(r.body?.message ?? ''));
      this.branches.set(branch, sha);
      return { status: existing === undefined ? 201 : 200, body: { commit: { sha, message: r.body?.message }, content: { path, sha: sha1(`blob ${files.get(path)}`) } } };
    }
    if (r.method === 'POST' && rest === 'pulls') {
      const { title, head, base, body } = r.body ?? {};
      if (!this.branches.has(head) || !this.branches.has(base)) return { status: 422, body: { message: 'Validation Failed' } };
      const pull: FakePull = { number: this.pulls.length + 1, title, body, head, base, state: 'open' };
      this.pulls.push(pull);
      return { status: 201, body: { number: pull.number, html_url: `https://github.com/${this.#owner}/${this.#repo}/pull/${pull.number}`, state: 'open', title } };
    }
    return { status: 404, body: { message: 'Not Found' } };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const r: RepoRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      body: raw ? JSON.parse(raw) : undefined,
      auth: req.headers.authorization ?? null,
    };
    this.requests.push(r);
    const out =
      r.auth !== `token ${this.#token}`
        ? { status: 401, body: { message: 'Bad credentials' } }
        : this.deny(r)
          ? { status: 403, body: { message: 'Resource not accessible by integration' } }
          : this.#route(r);
    res.writeHead(out.status, { 'content-type': 'application/json' });
    res.end(out.body === undefined ? '' : JSON.stringify(out.body));
  }
}
