// "Sign in with GitHub": the OAuth web flow with the GitHub App's client id and secret
// (@octokit/oauth-methods), then who the person is (GET /user) and whether they belong to one of the
// configured organizations or teams. The user's token is used for those questions only and is not kept.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from '@octokit/oauth-methods';
import { request as octokitRequest } from '@octokit/request';
import { sanitizeRequester } from '../../domain/requester.ts';
import { refuse, type Refusal } from './types.ts';
import type { Session } from './session.ts';

export interface GithubSignInSettings {
  clientId: string;
  clientSecret: string;
  /** The REST API (https://api.github.com, or GitHub Enterprise Server's /api/v3); the sign-in pages live beside it. */
  apiUrl: string;
  /** Where GitHub sends the person back: <publicUrl>/auth/github/callback. */
  callbackUrl: string;
  orgs: string[];
  /** `org/team-slug`. */
  teams: string[];
}

export const GITHUB_CALLBACK_PATH = '/auth/github/callback';

/** A path on this site to go back to after signing in; anything else (another site, `//host`) becomes `/`. */
export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) && value.length <= 500 ? value : '/';
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class GithubSignIn {
  readonly #settings: GithubSignInSettings;
  readonly #request: typeof octokitRequest;

  constructor(settings: GithubSignInSettings) {
    this.#settings = settings;
    this.#request = octokitRequest.defaults({ baseUrl: settings.apiUrl.replace(/\/$/, ''), headers: { 'user-agent': 'stagebot-dashboard' } });
  }

  /** Starts a sign-in: remembers a fresh state in the session (the caller saves) and returns GitHub's URL. */
  start(session: Session, returnTo: string): string {
    const state = randomBytes(24).toString('base64url');
    session.oauth = { state, returnTo: safeReturnTo(returnTo) };
    return getWebFlowAuthorizationUrl({ clientType: 'github-app', clientId: this.#settings.clientId, redirectUrl: this.#settings.callbackUrl, state, request: this.#request }).url;
  }

  /** Finishes it: the signed-in user (kept in the session, which the caller saves) and where to go, or why not. */
  async finish(session: Session, query: URLSearchParams): Promise<{ returnTo: string; login: string } | Refusal> {
    const pending = session.oauth;
    delete session.oauth;
    const state = query.get('state') ?? '';
    if (!pending || !sameText(pending.state, state)) return refuse(400, 'this sign-in link is stale or was not started here; start again from Sign in', '/signin');
    const error = query.get('error');
    if (error) return refuse(403, `GitHub did not sign you in: ${query.get('error_description') ?? error}`, '/signin');
    const code = query.get('code');
    if (!code) return refuse(400, 'GitHub sent no code back; start again from Sign in', '/signin');

    let token: string;
    try {
      const exchanged = await exchangeWebFlowCode({
        clientType: 'github-app',
        clientId: this.#settings.clientId,
        clientSecret: this.#settings.clientSecret,
        code,
        redirectUrl: this.#settings.callbackUrl,
        request: this.#request,
      });
      token = exchanged.authentication.token;
    } catch (err) {
      return refuse(403, `GitHub refused the sign-in code (${(err as Error).message.split('\n')[0]}); start again from Sign in`, '/signin');
    }
    const auth = { headers: { authorization: `token ${token}` } };
    const user = await this.#request('GET /user', auth);
    const login = user.data.login;
    if (!(await this.#member(login, auth))) {
      const allowed = [...this.#settings.orgs, ...this.#settings.teams].join(', ');
      return refuse(403, `GitHub user ${login} is not a member of ${allowed}; ask an owner to add you, or sign in as someone who is`);
    }
    session.user = { requester: sanitizeRequester('github', login), name: login, via: 'github' };
    return { returnTo: pending.returnTo, login };
  }

  /** An active member of a configured organization or team (404/403 from GitHub: not one). */
  async #member(login: string, auth: { headers: Record<string, string> }): Promise<boolean> {
    const active = async (route: string, params: Record<string, string>): Promise<boolean> => {
      try {
        const res = await this.#request(route, { ...auth, ...params });
        return (res.data as { state?: string }).state === 'active';
      } catch (err) {
        const status = (err as { status?: number }).status;
        if (status === 404 || status === 403) return false;
        throw err;
      }
    };
    for (const org of this.#settings.orgs) {
      if (await active('GET /user/memberships/orgs/{org}', { org })) return true;
    }
    for (const team of this.#settings.teams) {
      const [org = '', slug = ''] = team.split('/');
      if (await active('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', { org, team_slug: slug, username: login })) return true;
    }
    return false;
  }
}
