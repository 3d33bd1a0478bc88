// `stagebot doctor`: everything the bot needs, checked one by one, each with what to do about it.
import { existsSync } from 'node:fs';
import { loadConfig, type Config } from '../../config/index.ts';
import { ConfigError, isUserError } from '../../errors.ts';
import { fellShort, succeeded, type Outcome } from './output.ts';
import { slackSettings } from '../slack/settings.ts';
import { githubSettings } from '../github/settings.ts';
import type { CliIo } from './io.ts';
import type { GlobalOptions } from './global-options.ts';

export interface Check {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

/** The checks that reach the store and AWS, provided by the entry point (src/app/doctor-probes.ts). */
export interface DoctorProbes {
  store(config: Config, env: NodeJS.ProcessEnv): Promise<Check>;
  aws(config: Config): Promise<Check>;
}

export async function runDoctor(io: CliIo, options: GlobalOptions, probes: DoctorProbes): Promise<Outcome> {
  const checks: Check[] = [];
  const add = (check: string, status: Check['status'], detail: string) => checks.push({ check, status, detail });
  let config: Config | null = null;
  let countLine: Check | null = null;
  try {
    const loaded = await loadConfig({ path: options.configPath, env: io.env, ...(io.cwd ? { cwd: io.cwd } : {}) });
    config = loaded.config;
    add('config', loaded.usingExample ? 'warn' : 'ok', loaded.usingExample ? `using the bundled example (${loaded.path}); cp stagebot.example.yml stagebot.yml and edit it` : loaded.path);
    for (const warning of loaded.warnings) add('config', 'warn', warning);
  } catch (err) {
    // Every problem by path, as `config check` lists them: a count alone sends people to another command.
    if (err instanceof ConfigError && err.problems.length > 1) {
      add('config', 'fail', err.message);
      // The count line heads the list; the problems under it are what is counted.
      countLine = checks.at(-1) ?? null;
      for (const problem of err.problems) add('config', 'fail', problem);
    } else add('config', 'fail', isUserError(err) ? err.message : String(err));
  }
  if (config) {
    checks.push(await probes.store(config, io.env));
    checks.push(await probes.aws(config));
    checkSecrets(config, io.env, add);
    checkDashboard(config, io.env, add);
  }
  const slack = slackSettings(io.env);
  add('slack', slack.enabled ? 'ok' : 'warn', slack.enabled ? `front enabled (${slack.mode})` : `front disabled: ${slack.reason}`);
  const github = githubSettings(io.env);
  add('github', github.enabled ? 'ok' : 'warn', github.enabled ? `front enabled (app ${github.appId})` : `front disabled: ${github.reason}`);

  const failed = checks.filter((c) => c.status === 'fail' && c !== countLine);
  const icon = { ok: '✓', warn: '!', fail: '✗' } as const;
  const text = [
    ...checks.map((c) => `${icon[c.status]} ${c.check.padEnd(22)} ${c.detail}`),
    failed.length === 0 ? 'nothing blocks stagebot from running' : `${failed.length} problem${failed.length === 1 ? '' : 's'} to fix before stagebot can run`,
  ].join('\n');
  if (failed.length === 0) return succeeded('doctor', { checks }, text);
  return fellShort('doctor', { checks }, text, failed.map((c) => `${c.check}: ${c.detail}`));
}

type Add = (check: string, status: Check['status'], detail: string) => void;

function checkSecrets(config: Config, env: NodeJS.ProcessEnv, add: Add): void {
  const keyVars = new Map<string, string[]>();
  for (const e of Object.values(config.environments)) {
    if (e.keyPair === 'ephemeral') continue;
    keyVars.set(e.ssh.privateKeyEnv, [...(keyVars.get(e.ssh.privateKeyEnv) ?? []), e.name]);
  }
  for (const [name, envs] of keyVars) {
    add(`ssh key ${name}`, env[name] ? 'ok' : 'fail', env[name] ? `set (${envs.join(', ')})` : `not set; ${envs.join(', ')} cannot be reached over SSH without it`);
  }
  const ephemeral = Object.values(config.environments).filter((e) => e.keyPair === 'ephemeral').map((e) => e.name);
  if (ephemeral.length) add('ssh key (ephemeral)', 'ok', `${ephemeral.join(', ')} get a key pair per run`);
  for (const b of Object.values(config.browsers)) {
    if (!b.testUser) continue;
    const set = Boolean(env[b.testUser.passwordEnv]);
    add(`test user ${b.name}`, set ? 'ok' : 'warn', set ? `${b.testUser.username}, password from ${b.testUser.passwordEnv}` : `${b.testUser.passwordEnv} not set; ${b.name} tests run without a password`);
  }
  if (config.tests.runner.kind === 'command' && config.tests.runner.cwd && !existsSync(config.tests.runner.cwd)) {
    add('test runner', 'warn', `tests.runner.cwd ${config.tests.runner.cwd} does not exist here`);
  }
}

/** Who may read and act on the dashboard, and what its sign-in still lacks. */
function checkDashboard(config: Config, env: NodeJS.ProcessEnv, add: Add): void {
  const d = config.dashboard;
  const readers = d.anonymousRead.length ? `read without sign-in from ${d.anonymousRead.join(', ')}` : 'nobody reads without signing in';
  if (d.auth === 'none') {
    add('dashboard', d.anonymousRead.length ? 'ok' : 'warn', d.anonymousRead.length ? `${readers}; sign-in off, so read-only` : 'nobody may open it: dashboard.anonymousRead is empty and dashboard.auth is none');
    return;
  }
  const missing = d.auth === 'github' ? ['GITHUB_CLIENT_ID', 'GITHUB_CLIENT_SECRET'].filter((v) => !env[v]) : [];
  if (missing.length) add('dashboard', 'warn', `GitHub sign-in cannot work: set ${missing.join(' and ')} (the GitHub App's OAuth client); ${readers}`);
  else add('dashboard', 'ok', `sign-in with ${d.auth === 'github' ? `GitHub (${[...d.github.orgs, ...d.github.teams].join(', ')})` : `a proxy's ${d.proxy.userHeader} from ${d.proxy.trustedProxies.join(', ')}`}; ${readers}`);
  if (!env.STAGEBOT_SESSION_SECRET) add('dashboard session', 'warn', 'STAGEBOT_SESSION_SECRET not set: sign-ins end when the server restarts and are not shared between replicas');
}
