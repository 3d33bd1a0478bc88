// The web dashboard as `stagebot serve` mounts it: its access rules from the config's `dashboard`
// section and the environment (the GitHub App's OAuth client, the session secret), over the command
// executor and the chat fronts' links.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { Access, GITHUB_CALLBACK_PATH } from '../web/access/index.ts';
import { createDashboard, type Dashboard, type DashboardCommands, type DashboardLinks } from '../web/dashboard/index.ts';

export const SESSION_SECRET_ENV = 'STAGEBOT_SESSION_SECRET';

/** Read: GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET, GITHUB_API_URL, STAGEBOT_SESSION_SECRET. */
export type DashboardEnv = Record<string, string | undefined>;

export function dashboardAccess(config: Config, env: DashboardEnv, logger: Logger): Access {
  const d = config.dashboard;
  let secret = env[SESSION_SECRET_ENV]?.trim() ?? '';
  if (secret && secret.length < 32) throw new ConfigError(`${SESSION_SECRET_ENV} must be at least 32 characters (e.g. \`openssl rand -base64 32\`)`);
  if (!secret) {
    secret = randomBytes(32).toString('base64url');
    if (d.auth !== 'none') logger.warn(`${SESSION_SECRET_ENV} is not set: dashboard sign-ins end when this process stops and are not shared between replicas`);
  }
  let github: ConstructorParameters<typeof Access>[0]['github'] = null;
  let githubProblem: string | null = null;
  if (d.auth === 'github') {
    const clientId = env.GITHUB_CLIENT_ID?.trim();
    const clientSecret = env.GITHUB_CLIENT_SECRET?.trim();
    if (clientId && clientSecret && d.publicUrl) {
      github = {
        clientId,
        clientSecret,
        apiUrl: env.GITHUB_API_URL ?? config.github?.apiUrl ?? 'https://api.github.com',
        callbackUrl: `${d.publicUrl.replace(/\/+$/, '')}${GITHUB_CALLBACK_PATH}`,
      };
    } else {
      githubProblem = 'GitHub sign-in is not set up: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the GitHub App\'s OAuth client id and secret)';
      logger.warn(githubProblem);
    }
  }
  return new Access({ config: d, sessionSecret: secret, secure: d.publicUrl?.startsWith('https:') ?? false, github, githubProblem, logger });
}

export function mountDashboard(opts: { commands: DashboardCommands; links: DashboardLinks; env: DashboardEnv; logger: Logger }): Dashboard {
  const { commands, logger } = opts;
  const log = logger.child({ front: 'dashboard' });
  const access = dashboardAccess(commands.config, opts.env, log);
  const d = commands.config.dashboard;
  log.info({ auth: d.auth, anonymousRead: d.anonymousRead }, 'dashboard at /');
  return createDashboard({ commands, links: opts.links, access, logger: log, https: d.publicUrl?.startsWith('https:') ?? false });
}
