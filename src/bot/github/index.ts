// stagebot's GitHub front: a Probot app mounted on the one HTTP server at /api/github/webhooks.
// `/e2e` comments on pull requests launch and cancel runs; each run is reported as a check run on
// the head SHA, one comment edited in place, and reactions on the command comment.
import { createNodeMiddleware, type Probot } from 'probot';
import type { Logger } from '../../observability/logger.ts';
import { sendJson, type Front } from '../../web/routes.ts';
import { githubApp } from './app.ts';
import { BackgroundTasks } from './background.ts';
import type { GithubCommands, GithubMemory } from './ports.ts';
import { createProbot, githubApiUrl, type EnabledGithubSettings, type OctokitBehaviour } from './probot.ts';
import { RunProgress } from './progress.ts';

export { githubSettings, type GithubSettings } from './settings.ts';
export { createProbot, githubApiUrl, type EnabledGithubSettings, type OctokitBehaviour } from './probot.ts';
export type { GithubCommands, GithubMemory } from './ports.ts';

export const GITHUB_WEBHOOK_PATH = '/api/github/webhooks';

export interface GithubFrontDeps {
  commands: GithubCommands;
  /** Run links, PR run lists, delivery claims (src/app wires the store). */
  memory: GithubMemory;
  logger: Logger;
  settings: EnabledGithubSettings;
  /** Tests: no retries or throttling against the fake API, a short coalescing window. */
  octokit?: OctokitBehaviour;
  /** Per-run window in which check-run and comment updates are merged. Default 2 s. */
  coalesceMs?: number;
}

export type GithubFront = Extract<Front, { enabled: true }> & {
  probot: Probot;
  /** Sends pending GitHub updates now (tests). */
  flush(): Promise<void>;
  /** Stops reporting; waits (bounded) for commands in flight and pending updates. */
  stop(): Promise<void>;
};

export async function createGithubFront(deps: GithubFrontDeps): Promise<GithubFront> {
  const { commands, memory, settings } = deps;
  const logger = deps.logger.child({ front: 'github' });
  const probot = createProbot(settings, {
    apiUrl: githubApiUrl(settings, commands.config.github?.apiUrl),
    logger,
    ...(deps.octokit ? { octokit: deps.octokit } : {}),
  });
  const progress = new RunProgress({
    commands,
    memory,
    logger,
    client: (installationId) => probot.auth(installationId),
    windowMs: deps.coalesceMs ?? 2_000,
  });
  const background = new BackgroundTasks((err) => logger.error({ err }, 'a GitHub webhook task failed'));
  const middleware = await createNodeMiddleware(githubApp({ commands, memory, logger, progress, background }), { probot, webhooksPath: GITHUB_WEBHOOK_PATH });
  progress.start();

  return {
    name: 'github',
    path: GITHUB_WEBHOOK_PATH,
    enabled: true,
    probot,
    handler: async (req, res) => {
      await middleware(req, res, () => sendJson(res, 404, { ok: false, error: `no route ${req.url ?? ''}` }));
    },
    async flush() {
      await background.drain(10_000);
      await progress.flush();
    },
    async stop() {
      await background.drain(10_000);
      await progress.stop();
    },
  };
}
