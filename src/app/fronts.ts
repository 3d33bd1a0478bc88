// The chat fronts mounted on the one HTTP server. A front whose secrets are missing, or whose
// secrets are unusable, is disabled with a reason that names what to set; the server starts either way.
import { isUserError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Front } from '../web/routes.ts';
import { createGithubFront, GITHUB_WEBHOOK_PATH, githubSettings } from '../bot/github/index.ts';
import { slackSettings } from '../bot/slack/settings.ts';
import type { Services } from './open-services.ts';

export const SLACK_PATH = '/slack/events';

export interface MountedFronts {
  fronts: Front[];
  /** Stops every enabled front (pending chat updates are sent, bounded). */
  stop(): Promise<void>;
}

export async function mountFronts(services: Services, logger: Logger, env: NodeJS.ProcessEnv): Promise<MountedFronts> {
  const stops: (() => Promise<void>)[] = [];
  const fronts: Front[] = [];

  const slack = slackSettings(env);
  fronts.push(
    slack.enabled
      ? { name: 'slack', path: SLACK_PATH, enabled: false, reason: 'the Slack front is not part of this build yet (issue #4); use the CLI' }
      : { name: 'slack', path: SLACK_PATH, enabled: false, reason: slack.reason },
  );

  const github = githubSettings(env);
  if (!github.enabled) fronts.push({ name: 'github', path: GITHUB_WEBHOOK_PATH, enabled: false, reason: github.reason });
  else {
    try {
      const front = await createGithubFront({ services, logger, settings: github });
      stops.push(() => front.stop());
      fronts.push(front);
    } catch (err) {
      if (!isUserError(err)) throw err;
      fronts.push({ name: 'github', path: GITHUB_WEBHOOK_PATH, enabled: false, reason: err.message });
    }
  }

  return {
    fronts,
    async stop() {
      await Promise.allSettled(stops.map((stop) => stop()));
    },
  };
}
