// The one-screen summary `stagebot config check` prints for a valid file.

import { formatDuration } from '../domain/duration.ts';
import type { LoadedConfig } from './load.ts';
import { allRegions } from './regions.ts';
import type { Config, RunnerConfig } from './types.ts';

const LABEL_WIDTH = 14;

export function summarizeConfig(loaded: Pick<LoadedConfig, 'config' | 'path' | 'usingExample'>): string {
  const { config } = loaded;
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${label.padEnd(LABEL_WIDTH)}${value}`);

  row(
    'config',
    loaded.usingExample
      ? `${loaded.path} (the bundled example; make your own with: cp stagebot.example.yml stagebot.yml)`
      : loaded.path,
  );
  row('installation', config.installation);
  row('accounts', config.aws.accountAllowlist.join(', '));
  row('regions', allRegions(config).join(', '));
  row('environments', String(Object.keys(config.environments).length));
  lines.push(...table(Object.values(config.environments).map((e) => [e.name, e.region, e.instanceType, e.ami, e.url])));
  row('pool', config.pool.join(', '));
  row('browsers', `${browsers(config)}; default ${config.defaultBrowsers.join(', ')}`);
  const tests = config.tests;
  row('runner', `${runner(tests.runner)}; ${tests.workers} workers, ${tests.retries} retries, max wait ${formatDuration(tests.maxWait)}`);
  if (tests.prepare) row('prepare', `${tests.prepare.command}${tests.prepare.cacheKey ? ` (cache key ${tests.prepare.cacheKey})` : ''}`);
  const sw = config.sweeper;
  row(
    'sweeper',
    `${sw.schedule} (${sw.timeZone}); grace ${formatDuration(sw.gracePeriod)}, reap limit ${sw.reapLimit}, ` +
      `protect tag ${sw.protectTag.key}=${sw.protectTag.value}` +
      (sw.reportChannel ? `, report to ${sw.reportChannel}` : ''),
  );
  row('runs', `keep ${formatDuration(config.runs.keepDefault)} (max ${formatDuration(config.runs.keepMax)}), timeout ${formatDuration(config.runs.timeout)}, on adopt ${config.runs.onAdopt}`);
  row('fronts', fronts(config));
  row('store', `${config.store.sqlitePath} (DATABASE_URL=postgres://... switches to Postgres)`);
  return lines.join('\n');
}

function table(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), []);
  return rows.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')}`);
}

function browsers(config: Config): string {
  return Object.values(config.browsers)
    .map((b) => (b.project === b.name ? b.name : `${b.name} (${b.project})`))
    .join(', ');
}

function runner(r: RunnerConfig): string {
  return r.kind === 'command'
    ? `command \`${r.command}\`${r.cwd ? ` in ${r.cwd}` : ''}`
    : `GitHub workflow ${r.repository} ${r.workflow} @ ${r.ref}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function fronts(config: Config): string {
  const { slack, github } = config;
  const admins = slack ? slack.admins.users.length + slack.admins.userGroups.length : 0;
  const repos = github ? Object.keys(github.repositories) : [];
  return [
    'cli',
    slack ? `slack (${plural(slack.channels.length, 'channel')}, ${plural(admins, 'admin entry', 'admin entries')})` : 'slack not configured',
    github ? `github (${plural(repos.length, 'repository', 'repositories')}${repos.length ? `: ${repos.join(', ')}` : ''})` : 'github not configured',
  ].join(', ');
}
