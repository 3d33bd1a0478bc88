// Whether the Slack front can run, from the variables Slack apps conventionally use.

export type SlackSettings =
  | { enabled: true; mode: 'http' | 'socket'; botToken: string; signingSecret: string | undefined; appToken: string | undefined; apiUrl: string | undefined }
  | { enabled: false; reason: string };

export function slackSettings(env: NodeJS.ProcessEnv): SlackSettings {
  const botToken = env.SLACK_BOT_TOKEN;
  const signingSecret = env.SLACK_SIGNING_SECRET;
  const appToken = env.SLACK_APP_TOKEN;
  const socket = env.SLACK_SOCKET_MODE === 'true' || env.SLACK_SOCKET_MODE === '1';
  if (!botToken) return { enabled: false, reason: 'set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN with SLACK_SOCKET_MODE=true)' };
  if (socket && !appToken) return { enabled: false, reason: 'SLACK_SOCKET_MODE is on; set SLACK_APP_TOKEN (xapp-…)' };
  if (!socket && !signingSecret) return { enabled: false, reason: 'set SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN with SLACK_SOCKET_MODE=true)' };
  const apiUrl = env.SLACK_API_URL?.trim() || undefined;
  // Every Web API call would go there: a typo is refused now rather than failing each call later.
  if (apiUrl !== undefined && !isHttpUrl(apiUrl)) {
    return { enabled: false, reason: `SLACK_API_URL must be an http(s) URL like https://slack.com/api/, got \`${apiUrl.slice(0, 60)}\`` };
  }
  return { enabled: true, mode: socket ? 'socket' : 'http', botToken, signingSecret, appToken, apiUrl };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
