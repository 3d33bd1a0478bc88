// An installation token for one repository (the github-workflow test runner's), found through the
// App's installation on that repository and scoped to it. Asked for through the App's own Octokit
// (JWT), so the API base URL (GitHub Enterprise Server) applies; Probot's `auth({ type:
// 'installation' })` would ask api.github.com whatever the base URL. Cached until shortly before
// it expires.
import type { Probot } from 'probot';
import { ConfigError } from '../errors.ts';
import type { GetToken } from '../pipeline/test-runners/github-actions-client.ts';

/** A token this close to its expiry is replaced: a workflow poll must not fail half-way. */
const RENEW_BEFORE_MS = 5 * 60_000;

export function installationTokenFor(probot: Probot, repository: string, now: () => number = Date.now): GetToken {
  const [owner, repo, ...rest] = repository.split('/');
  if (!owner || !repo || rest.length > 0) throw new ConfigError(`tests.runner.repository must be owner/name, got ${repository}`);
  let installationId: number | null = null;
  let cached: { token: string; expiresAt: number } | null = null;
  let pending: Promise<string> | null = null;

  const fetchToken = async (): Promise<string> => {
    const app = await probot.auth();
    if (installationId === null) {
      try {
        installationId = (await app.rest.apps.getRepoInstallation({ owner, repo })).data.id;
      } catch (err) {
        if ((err as { status?: number }).status === 404) {
          throw new ConfigError(`the GitHub App is not installed on ${repository}; install it there so the test workflow can be started`);
        }
        throw err;
      }
    }
    const { data } = await app.rest.apps.createInstallationAccessToken({ installation_id: installationId, repositories: [repo] });
    cached = { token: data.token, expiresAt: Date.parse(data.expires_at) };
    return data.token;
  };

  return () => {
    if (cached && cached.expiresAt - now() > RENEW_BEFORE_MS) return cached.token;
    // Parallel browsers asking at once share one request.
    pending ??= fetchToken().finally(() => {
      pending = null;
    });
    return pending;
  };
}
