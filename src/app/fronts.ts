// The chat fronts mounted on the one HTTP server. A front whose secrets are missing, or whose
// secrets are unusable, is disabled with a reason that names what to set; the server starts either way.
import { isUserError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Front } from '../web/routes.ts';
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
}

export async function mountFronts(services: Services, logger: Logger, env: NodeJS.ProcessEnv): Promise<MountedFronts> {
  const stops: (() => Promise<void>)[] = [];
  const fronts: Front[] = [];

  let postSweepReport: MountedFronts['postSweepReport'];
  const slack = slackSettings(env);
  if (!slack.enabled) fronts.push({ name: 'slack', path: SLACK_EVENTS_PATH, enabled: false, reason: slack.reason });
  else {
    try {
      const front = await createSlackFront({ commands: services.commands, memory: services.store, logger, settings: slack });
      stops.push(() => front.stop());
      postSweepReport = (report) => front.postSweepReport(report);
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

  return {
    fronts,
    ...(postSweepReport ? { postSweepReport } : {}),
    async stop() {
      await Promise.allSettled(stops.map((stop) => stop()));
    },
  };
}
