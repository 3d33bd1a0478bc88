// Webhook deliveries as GitHub sends them: real example payloads from @octokit/webhooks-examples,
// adapted (a PR comment, a closed PR), signed with X-Hub-Signature-256 over the exact body.
import { createHmac, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: any[] }[];

function example(event: string, pick: (e: any) => boolean): any {
  const found = examples.find((e) => e.name === event)?.examples.find(pick);
  if (!found) throw new Error(`no ${event} example`);
  return structuredClone(found);
}

export const REPO = 'Codertocat/Hello-World';
export const INSTALLATION_ID = 1;
export const HEAD_SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821';

let nextCommentId = 5_000;

export interface CommentOptions {
  body: string;
  login?: string;
  userType?: 'User' | 'Bot';
  pr?: number;
  /** `owner/name` of the repository the PR is in. */
  repository?: string;
  commentId?: number;
  /** false: a comment on an issue, not a pull request. */
  onPullRequest?: boolean;
}

/** `issue_comment.created` on a pull request, from the example that carries an installation. */
export function prCommentPayload(opts: CommentOptions): { payload: any; commentId: number } {
  const p = example('issue_comment', (e) => e.action === 'created' && e.installation);
  const login = opts.login ?? 'Codertocat';
  const pr = opts.pr ?? p.issue.number;
  const commentId = opts.commentId ?? nextCommentId++;
  const [owner, name] = (opts.repository ?? REPO).split('/') as [string, string];
  p.repository.full_name = `${owner}/${name}`;
  p.repository.name = name;
  p.repository.owner.login = owner;
  p.issue.number = pr;
  if (opts.onPullRequest !== false) {
    const base = `https://api.github.com/repos/${owner}/${name}/pulls/${pr}`;
    p.issue.pull_request = { url: base, html_url: `https://github.com/${owner}/${name}/pull/${pr}`, diff_url: `${base}.diff`, patch_url: `${base}.patch`, merged_at: null };
  } else {
    delete p.issue.pull_request;
  }
  p.comment.id = commentId;
  p.comment.body = opts.body;
  p.comment.user.login = login;
  p.comment.user.type = opts.userType ?? 'User';
  p.sender.login = login;
  p.sender.type = opts.userType ?? 'User';
  p.installation.id = INSTALLATION_ID;
  return { payload: p, commentId };
}

/** `pull_request.closed` from the example with an installation. */
export function prClosedPayload(opts: { pr: number; login?: string; repository?: string }): any {
  const p = example('pull_request', (e) => e.action === 'closed' && e.installation && !e.organization);
  const [owner, name] = (opts.repository ?? REPO).split('/') as [string, string];
  p.repository.full_name = `${owner}/${name}`;
  p.repository.name = name;
  p.repository.owner.login = owner;
  p.number = opts.pr;
  p.pull_request.number = opts.pr;
  p.sender.login = opts.login ?? 'Codertocat';
  p.installation.id = INSTALLATION_ID;
  return p;
}

/** What `GET /repos/{o}/{r}/pulls/{n}` answers: the example PR, open, its head in `headRepo`. */
export function pullRequest(opts: { pr: number; headRepo?: string; state?: 'open' | 'closed'; headSha?: string }): any {
  const p = example('pull_request', (e) => e.action === 'opened').pull_request;
  p.number = opts.pr;
  p.state = opts.state ?? 'open';
  p.head.sha = opts.headSha ?? HEAD_SHA;
  const head = opts.headRepo ?? REPO;
  p.head.repo.full_name = head;
  p.head.repo.name = head.split('/')[1];
  p.head.repo.owner.login = head.split('/')[0];
  p.head.repo.fork = head.toLowerCase() !== REPO.toLowerCase();
  p.base.repo.full_name = REPO;
  return p;
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface Delivered {
  status: number;
  body: string;
  delivery: string;
  ms: number;
}

/** POSTs a webhook the way GitHub does; `signature` overrides the correct one. */
export async function deliver(
  url: string,
  event: string,
  payload: unknown,
  opts: { secret: string; delivery?: string; signature?: string },
): Promise<Delivered> {
  const body = JSON.stringify(payload);
  const delivery = opts.delivery ?? randomUUID();
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/044aadd',
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-github-hook-id': '292430182',
      'x-github-hook-installation-target-type': 'integration',
      'x-hub-signature-256': opts.signature ?? sign(opts.secret, body),
    },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: text, delivery, ms: performance.now() - started };
}
