// The chat fronts mounted on the one HTTP server. A front whose secrets are missing is disabled
// with a reason that names what to set; the server starts either way.
import type { Logger } from '../observability/logger.ts';
import type { Front } from '../web/routes.ts';
import { slackSettings } from '../bot/slack/settings.ts';
import { githubSettings } from '../bot/github/settings.ts';
import type { Services } from './open-services.ts';

export const SLACK_PATH = '/slack/events';
export const GITHUB_PATH = '/api/github/webhooks';

export async function mountFronts(_services: Services, _logger: Logger, env: NodeJS.ProcessEnv): Promise<Front[]> {
  const slack = slackSettings(env);
  const github = githubSettings(env);
  // The fronts' handlers land with their own issues (Slack: #4, GitHub: #5); until then a
  // configured front says so instead of accepting requests it cannot serve.
  return [
    slack.enabled
      ? { name: 'slack', path: SLACK_PATH, enabled: false, reason: 'the Slack front is not part of this build yet (issue #4); use the CLI' }
      : { name: 'slack', path: SLACK_PATH, enabled: false, reason: slack.reason },
    github.enabled
      ? { name: 'github', path: GITHUB_PATH, enabled: false, reason: 'the GitHub front is not part of this build yet (issue #5); use the CLI' }
      : { name: 'github', path: GITHUB_PATH, enabled: false, reason: github.reason },
  ];
}
