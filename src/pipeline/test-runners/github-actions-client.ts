// The Octokit the github-workflow runner talks through: Probot's (already a dependency, with
// retries on 5xx and rate-limit handling), pointed at a configurable API base URL so that
// GitHub Enterprise Server and the tests' fake API work the same way. The token is asked for on
// every request: an installation token expires after an hour, and a test run may take longer.

import { ProbotOctokit } from 'probot';

/** Returns the GitHub App installation token for the repository that holds the workflow. */
export type GetToken = () => string | Promise<string>;

export interface OctokitLog {
  debug: (message: string) => unknown;
  info: (message: string) => unknown;
  warn: (message: string) => unknown;
  error: (message: string) => unknown;
}

export interface GithubApiOptions {
  /** `https://api.github.com`, or `https://github.example.com/api/v3` for GitHub Enterprise Server. */
  baseUrl: string;
  getToken: GetToken;
  /** Retries of a request that failed with a 5xx or a network error. Default 3. */
  retries?: number | undefined;
  /**
   * GitHub's pacing for avoiding secondary rate limits: one write a second, shared by every
   * Octokit of the process, and waiting out rate limits. Default on; off only where no limits apply.
   */
  throttle?: boolean | undefined;
  log?: OctokitLog | undefined;
}

export type ActionsOctokit = InstanceType<typeof ProbotOctokit>;

export function createActionsOctokit(opts: GithubApiOptions): ActionsOctokit {
  return new ProbotOctokit({
    baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    authStrategy: createGetTokenAuth,
    auth: { getToken: opts.getToken },
    retry: { retries: opts.retries ?? 3 },
    ...(opts.throttle === false ? { throttle: { enabled: false } } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
}

interface EndpointOptions {
  headers: Record<string, string | number | undefined>;
}

interface HookedRequest {
  (options: EndpointOptions): Promise<unknown>;
  endpoint: { merge(route: unknown, parameters?: unknown): EndpointOptions };
}

/** An Octokit auth strategy (see @octokit/auth-token) whose token comes fresh from `getToken`. */
function createGetTokenAuth({ getToken }: { getToken: GetToken }) {
  const auth = async () => ({ type: 'token', tokenType: 'installation', token: await getToken() });
  const hook = async (request: HookedRequest, route: unknown, parameters?: unknown) => {
    const endpoint = request.endpoint.merge(route, parameters);
    endpoint.headers.authorization = `token ${await getToken()}`;
    return request(endpoint);
  };
  return Object.assign(auth, { hook });
}
