// The chat fronts mounted on the one HTTP server. A front whose secrets are missing, or whose
// secrets are unusable, is disabled with a reason that names what to set; the server starts either way.
import { isUserError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Front } from '../web/routes.ts';
import type { ChatLink, DashboardLinks } from '../web/dashboard/index.ts';
import { pullRequestLinks } from '../bot/github/web-links.ts';
import { threadLink } from '../bot/slack/thread-link.ts';
import type { SlackApi } from '../bot/slack/slack-api.ts';
import { createGithubFront, GITHUB_WEBHOOK_PATH, githubSettings } from '../bot/github/index.ts';
import { createSlackFront, SLACK_EVENTS_PATH, slackSettings } from '../bot/slack/index.ts';
import type { SweepReport } from '../audit/index.ts';
import type { Services } from './open-services.ts';

export interface MountedFronts {
  fronts: Front[];
  /** Stops every enabled front (pending chat updates are sent, bounded). */
  stop(): Promise<void>;
  /** Posts the daily sweep report to Slack; absent without a Slack front. */
  postSweepReport?: (report: SweepReport) => Promise<void>;
  /** Where the chat fronts discussed a run (for the dashboard's run page). */
  links: DashboardLinks;
}

/** The Slack thread (when the Slack front is up to ask for its permalink) and the pull request's links. */
export function chatLinks(memory: Services['store'], slack: Pick<SlackApi, 'permalink'> | null, githubApiUrl: string, logger: Logger): DashboardLinks {
  return {
    async forRun(runId) {
      const links: ChatLink[] = [];
      if (slack) {
        const thread = await threadLink(memory, slack, runId).catch((err: unknown) => {
          logger.warn({ err, runId }, 'could not ask Slack for the thread link');
          return null;
        });
        if (thread) links.push(thread);
      }
      return [...links, ...(await pullRequestLinks(memory, runId, githubApiUrl))];
    },
  };
}

export async function mountFronts(services: Services, logger: Logger, env: NodeJS.ProcessEnv): Promise<MountedFronts> {
  const stops: (() => Promise<void>)[] = [];
  const fronts: Front[] = [];

  let postSweepReport: MountedFronts['postSweepReport'];
  let slackApi: Pick<SlackApi, 'permalink'> | null = null;
  const slack = slackSettings(env);
  if (!slack.enabled) fronts.push({ name: 'slack', path: SLACK_EVENTS_PATH, enabled: false, reason: slack.reason });
  else {
    try {
      const front = await createSlackFront({ commands: services.commands, memory: services.store, logger, settings: slack });
      stops.push(() => front.stop());
      postSweepReport = (report) => front.postSweepReport(report);
      slackApi = front.slack;
      fronts.push(front);
    } catch (err) {
      if (!isUserError(err)) throw err;
      fronts.push({ name: 'slack', path: SLACK_EVENTS_PATH, enabled: false, reason: err.message });
    }
  }

  const github = githubSettings(env);
  if (!github.enabled) fronts.push({ name: 'github', path: GITHUB_WEBHOOK_PATH, enabled: false, reason: github.reason });
  else {
    try {
      const front = await createGithubFront({ commands: services.commands, memory: services.store, logger, settings: github });
      stops.push(() => front.stop());
      fronts.push(front);
    } catch (err) {
      if (!isUserError(err)) throw err;
      fronts.push({ name: 'github', path: GITHUB_WEBHOOK_PATH, enabled: false, reason: err.message });
    }
  }

  const githubApiUrl = env.GITHUB_API_URL ?? services.config.github?.apiUrl ?? 'https://api.github.com';
  return {
    fronts,
    links: chatLinks(services.store, slackApi, githubApiUrl, logger),
    ...(postSweepReport ? { postSweepReport } : {}),
    async stop() {
      await Promise.allSettled(stops.map((stop) => stop()));
    },
  };
}
