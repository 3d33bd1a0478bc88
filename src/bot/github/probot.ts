// The Probot instance: App id, private key and webhook secret from the environment, the API base
// URL from GITHUB_API_URL or the config (GitHub Enterprise Server, the tests' fake API).
import { Probot, ProbotOctokit } from 'probot';
import type { Logger } from '../../observability/logger.ts';
import { loadPrivateKey } from './private-key.ts';
import type { GithubSettings } from './settings.ts';

export type EnabledGithubSettings = Extract<GithubSettings, { enabled: true }>;

export interface OctokitBehaviour {
  /** Retries of 5xx and network errors (default on). */
  retry?: boolean;
  /** GitHub's pacing against secondary rate limits (default on; tests turn it off). */
  throttle?: boolean;
}

/** GITHUB_API_URL wins over `github.apiUrl`; neither means api.github.com. */
export function githubApiUrl(settings: EnabledGithubSettings, configApiUrl: string | undefined): string | undefined {
  const url = settings.apiUrl ?? configApiUrl;
  return url ? url.replace(/\/+$/, '') : undefined;
}

export function createProbot(settings: EnabledGithubSettings, opts: { apiUrl: string | undefined; logger: Logger; octokit?: OctokitBehaviour }): Probot {
  const behaviour = opts.octokit ?? {};
  // A function, not an object: Probot passes its own throttle options to every Octokit it makes,
  // and object defaults sit under those.
  const Octokit = ProbotOctokit.defaults((options: Record<string, any>) => ({
    ...options,
    ...(behaviour.retry === false ? { retry: { ...options.retry, enabled: false } } : {}),
    ...(behaviour.throttle === false ? { throttle: { ...options.throttle, enabled: false } } : {}),
  })) as typeof ProbotOctokit;
  return new Probot({
    appId: settings.appId,
    privateKey: loadPrivateKey(settings),
    secret: settings.webhookSecret,
    baseUrl: opts.apiUrl,
    Octokit,
    log: opts.logger.child({ component: 'probot' }) as unknown as NonNullable<ConstructorParameters<typeof Probot>[0]>['log'],
  });
}
