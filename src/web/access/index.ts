// The dashboard's access rules, in one place that every route behind them calls (the pages, their
// live feed, and the artifacts served next to them): who the viewer is (signed in with GitHub, named
// by a trusted proxy, or reading anonymously from an allowed network), or the HTTP answer when
// nobody may look; and for actions, a signed-in person with a valid CSRF token, as the Actor that the
// command executor's permission rules judge (the same rules as chat).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Actor } from '../../commands/executor.ts';
import type { DashboardConfig } from '../../config/index.ts';
import { sanitizeRequester } from '../../domain/requester.ts';
import type { Requester } from '../../domain/run.ts';
import type { Logger } from '../../observability/logger.ts';
import { csrfToken, csrfValid } from './csrf.ts';
import { GithubSignIn, safeReturnTo, type GithubSignInSettings } from './github-sign-in.ts';
import { clientAddress, networkMatcher, peerAddress, type NetworkMatcher } from './networks.ts';
import { sessionReader, type Session } from './session.ts';
import { isRefusal, refuse, type Refusal, type Viewer } from './types.ts';

export { isRefusal, refuse, type Refusal, type Viewer } from './types.ts';
export { safeReturnTo, GITHUB_CALLBACK_PATH } from './github-sign-in.ts';
export type { Session } from './session.ts';

export interface AccessSettings {
  config: DashboardConfig;
  /** Encrypts the session cookie; at least 32 characters. */
  sessionSecret: string;
  /** Cookies marked Secure (the dashboard is served over https). */
  secure: boolean;
  /** auth: github with its OAuth credentials; null otherwise. */
  github: Omit<GithubSignInSettings, 'orgs' | 'teams'> | null;
  /** Why GitHub sign-in cannot work (credentials missing), shown on the sign-in page. */
  githubProblem?: string | null;
  logger?: Logger;
}

export class Access {
  readonly config: DashboardConfig;
  readonly githubSignIn: GithubSignIn | null;
  readonly githubProblem: string | null;
  readonly #anonymous: NetworkMatcher;
  readonly #proxies: NetworkMatcher;
  readonly #admins: ReadonlySet<string>;
  readonly #session: (req: IncomingMessage, res: ServerResponse) => Promise<Session>;
  readonly #logger: Logger | undefined;

  constructor(settings: AccessSettings) {
    const { config } = settings;
    this.config = config;
    this.#anonymous = networkMatcher(config.anonymousRead);
    this.#proxies = networkMatcher(config.auth === 'proxy' ? config.proxy.trustedProxies : []);
    this.#admins = new Set(config.admins.map((a) => a.toLowerCase()));
    this.#logger = settings.logger;
    this.#session = sessionReader({ secret: settings.sessionSecret, ttlMs: config.sessionTtl, secure: settings.secure }, (reason) => {
      if (reason !== 'expired') this.#logger?.warn({ reason }, 'dashboard session cookie refused');
    });
    this.githubSignIn = config.auth === 'github' && settings.github ? new GithubSignIn({ ...settings.github, orgs: config.github.orgs, teams: config.github.teams }) : null;
    this.githubProblem = config.auth === 'github' && !settings.github ? (settings.githubProblem ?? 'GitHub sign-in is not set up') : null;
  }

  session(req: IncomingMessage, res: ServerResponse): Promise<Session> {
    return this.#session(req, res);
  }

  /** The viewer, or the answer for someone who may not look (the seam every route behind the dashboard's rules calls). */
  async requireViewer(req: IncomingMessage, res: ServerResponse): Promise<Viewer | Refusal> {
    const { auth } = this.config;
    if (auth === 'proxy') {
      const named = this.#proxyUser(req);
      if (named) return named;
    }
    if (auth === 'github') {
      const user = (await this.#session(req, res)).user;
      if (user) return this.#viewer(user.requester as Requester, user.name, 'github');
    }
    const address = clientAddress(req, this.#proxies);
    if (this.#anonymous(address)) return { requester: null, name: 'anonymous', via: 'anonymous', admin: false };
    const path = req.url ?? '/';
    if (auth === 'github') return refuse(401, 'sign in with GitHub to see the dashboard', `/signin?returnTo=${encodeURIComponent(safeReturnTo(path))}`);
    if (auth === 'proxy') return refuse(401, 'open the dashboard through the sign-in proxy: it names you in a header that stagebot believes only from dashboard.proxy.trustedProxies');
    return refuse(403, `the dashboard is read without signing in only from dashboard.anonymousRead, and ${address || 'this address'} is not in it; sign-in is off (dashboard.auth: none)`);
  }

  /** A signed-in person with a valid CSRF token, as the Actor the command executor judges; or why not. */
  async requireActor(req: IncomingMessage, res: ServerResponse, token: unknown): Promise<{ viewer: Viewer; actor: Actor } | Refusal> {
    const viewer = await this.requireViewer(req, res);
    if (isRefusal(viewer)) return viewer;
    if (!viewer.requester) {
      return this.config.auth === 'none'
        ? refuse(403, 'the dashboard is read-only here (dashboard.auth: none); act from chat or the CLI')
        : refuse(401, 'sign in to act on the dashboard; reading needs no sign-in, acting does', this.config.auth === 'github' ? '/signin' : undefined);
    }
    if (!csrfValid(await this.#session(req, res), token)) {
      return refuse(403, 'the form did not come from this dashboard page, or the page is too old (CSRF check failed); reload the page and try again');
    }
    return { viewer, actor: { requester: viewer.requester, source: 'web', admin: viewer.admin } };
  }

  /** A CSRF token for a signed-in viewer's forms (null for anonymous readers, who have none). */
  async formToken(req: IncomingMessage, res: ServerResponse, viewer: Viewer): Promise<string | null> {
    if (!viewer.requester) return null;
    const session = await this.#session(req, res);
    const { token, created } = csrfToken(session);
    if (created) await session.save();
    return token;
  }

  #proxyUser(req: IncomingMessage): Viewer | null {
    const { userHeader, emailHeader } = this.config.proxy;
    const header = (name: string) => {
      const v = req.headers[name.toLowerCase()];
      return (Array.isArray(v) ? v[0] : v)?.trim() || null;
    };
    const user = header(userHeader);
    const email = header(emailHeader);
    if (!user && !email) return null;
    if (!this.#proxies(peerAddress(req))) {
      this.#logger?.warn({ peer: peerAddress(req) }, `ignored ${userHeader} from an address that is not in dashboard.proxy.trustedProxies`);
      return null;
    }
    const id = user ?? email ?? '';
    return this.#viewer(sanitizeRequester('web', id), email && user ? `${user} (${email})` : id, 'proxy');
  }

  #viewer(requester: Requester, name: string, via: Viewer['via']): Viewer {
    return { requester, name, via, admin: this.#admins.has(requester.toLowerCase()) };
  }
}

/** Writes a refusal as plain text (for routes that are not pages, e.g. files; pages render their own). */
export function sendRefusal(res: ServerResponse, refusal: Refusal): void {
  const body = `${refusal.message}${refusal.signIn ? `\nsign in: ${refusal.signIn}` : ''}\n`;
  res.writeHead(refusal.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
