// The image manifest backend for this process: the local file, or (imageManifest.github) the file in a
// GitHub repository, reached with the GitHub App's installation token on that repository through the
// App's Octokit (retries, rate-limit pacing, GitHub Enterprise Server's API URL). Built once and handed
// to the engine (a bake's candidate, a launch's image:NAME@CHANNEL), the images service (images,
// promote) and the audit (drift, AMIs kept), so every one of them reads the same manifest.
import type { Config } from '../config/index.ts';
import type { GithubRepoClient } from '../images/github-manifest.ts';
import type { ManifestBackend, ManifestHistoryStore } from '../images/manifest.ts';
import { manifestBackend } from '../images/manifest-backend.ts';
import type { Logger } from '../observability/logger.ts';
import { githubSettings } from '../bot/github/settings.ts';
import { createActionsOctokit, type ActionsOctokit, type GetToken } from '../pipeline/test-runners/github-actions-client.ts';

/** GithubRepoClient over an Octokit authenticated for `repository` (`owner/name`). */
export function octokitRepoClient(octokit: ActionsOctokit, repository: string): GithubRepoClient {
  const [owner = '', repo = ''] = repository.split('/');
  return {
    async getFile(path, ref) {
      try {
        const { data } = await octokit.rest.repos.getContent({ owner, repo, path, ref });
        if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) throw Object.assign(new Error(`${path} is not a file`), { status: 422 });
        return { text: Buffer.from(data.content, 'base64').toString('utf8'), sha: data.sha };
      } catch (err) {
        if ((err as { status?: number }).status === 404) return null;
        throw err;
      }
    },
    async branchHead(branch) {
      return (await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` })).data.object.sha;
    },
    async createBranch(name, fromSha) {
      await octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${name}`, sha: fromSha });
    },
    async putFile(input) {
      await octokit.rest.repos.createOrUpdateFileContents({
        owner,
        repo,
        path: input.path,
        branch: input.branch,
        message: input.message,
        content: Buffer.from(input.text, 'utf8').toString('base64'),
        ...(input.sha ? { sha: input.sha } : {}),
      });
    },
    async openPullRequest(input) {
      const { data } = await octokit.rest.pulls.create({ owner, repo, head: input.head, base: input.base, title: input.title, body: input.body });
      return { number: data.number, url: data.html_url };
    },
  };
}

/** The manifest backend with a GitHub client on `apiUrl` whose token comes from `getToken` (tests pass their own). */
export function githubManifestBackend(config: Config, store: ManifestHistoryStore | null, api: { baseUrl: string; getToken: GetToken; throttle?: boolean; retries?: number }): ManifestBackend {
  const gh = config.imageManifest.github;
  if (!gh) return manifestBackend(config, store);
  const octokit = createActionsOctokit({ baseUrl: api.baseUrl, getToken: api.getToken, throttle: api.throttle, retries: api.retries });
  return manifestBackend(config, store, octokitRepoClient(octokit, gh.repo));
}

/** The configured backend; for a manifest in GitHub, through the GitHub App (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET). */
export async function imageManifestFor(config: Config, store: ManifestHistoryStore, env: NodeJS.ProcessEnv, logger: Logger): Promise<ManifestBackend> {
  const gh = config.imageManifest.github;
  if (!gh) return manifestBackend(config, store);
  const settings = githubSettings(env);
  if (!settings.enabled) return manifestBackend(config, store, { unavailable: `it lives in GitHub and the GitHub App is not configured here (${settings.reason})` });
  const { createProbot, githubApiUrl } = await import('../bot/github/probot.ts');
  const { installationTokenFor } = await import('./github-installation-token.ts');
  const apiUrl = githubApiUrl(settings, config.github?.apiUrl);
  const probot = createProbot(settings, { apiUrl, logger });
  return githubManifestBackend(config, store, { baseUrl: apiUrl ?? env.GITHUB_API_URL ?? config.github?.apiUrl ?? 'https://api.github.com', getToken: installationTokenFor(probot, gh.repo) });
}
