// Whether the GitHub front can run, from the variables Probot reads.

export type GithubSettings =
  | { enabled: true; appId: string; privateKey: string | undefined; privateKeyPath: string | undefined; webhookSecret: string; apiUrl: string | undefined }
  | { enabled: false; reason: string };

export function githubSettings(env: NodeJS.ProcessEnv): GithubSettings {
  const missing = [
    env.APP_ID ? null : 'APP_ID',
    env.PRIVATE_KEY || env.PRIVATE_KEY_PATH ? null : 'PRIVATE_KEY (or PRIVATE_KEY_PATH)',
    env.WEBHOOK_SECRET ? null : 'WEBHOOK_SECRET',
  ].filter((m): m is string => m !== null);
  if (missing.length > 0) return { enabled: false, reason: `set ${missing.join(', ')}` };
  return {
    enabled: true,
    appId: env.APP_ID!,
    privateKey: env.PRIVATE_KEY,
    privateKeyPath: env.PRIVATE_KEY_PATH,
    webhookSecret: env.WEBHOOK_SECRET!,
    apiUrl: env.GITHUB_API_URL,
  };
}
