// The environment of a test command. Every value that comes from chat or the run travels
// here and only here, never inside the command string, so no value can change what the shell
// runs. The bot's own environment is NOT inherited wholesale: it holds AWS, Slack and GitHub
// credentials and the other browsers' test passwords, none of which the tests need.

import type { BrowserJob } from './types.ts';

/** What a Playwright run needs from the host: search path, home, locale, proxies, caches. */
export const INHERITED_ENV_NAMES: readonly string[] = [
  'PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TZ', 'TMPDIR', 'TERM',
  'CI', 'DISPLAY', 'WAYLAND_DISPLAY', 'XDG_RUNTIME_DIR', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
  'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'PLAYWRIGHT_BROWSERS_PATH',
  'npm_config_cache', 'NPM_CONFIG_CACHE', 'npm_config_registry', 'NPM_CONFIG_REGISTRY',
  'FORCE_COLOR', 'NO_COLOR',
];

const INHERITED_PREFIXES = ['LC_'];

/** Set from the job only; an inherited or passed-through value of the same name never survives. */
export const JOB_ENV_NAMES: readonly string[] = [
  'BASE_URL', 'BROWSER', 'PLAYWRIGHT_PROJECT', 'TEST_USER', 'TEST_PASSWORD', 'WORKERS', 'RETRIES',
  'RUN_ID', 'STAGEBOT_REF', 'REPORT_FILE', 'PLAYWRIGHT_JSON_OUTPUT_FILE', 'PLAYWRIGHT_JSON_OUTPUT_NAME',
  'TEST_OUTPUT_DIR', 'PLAYWRIGHT_HTML_OUTPUT_DIR', 'PLAYWRIGHT_HTML_REPORT', 'PLAYWRIGHT_HTML_OPEN', 'TEST_GREP',
];

/** The job's own folders besides REPORT_FILE: where its screenshots, traces and videos go, and its HTML report. */
export interface OutputDirs {
  testOutputDir: string;
  htmlReportDir: string;
}

export function commandEnv(
  job: BrowserJob,
  reportFile: string,
  opts: { base: NodeJS.ProcessEnv; passEnv?: readonly string[] | undefined; dirs?: OutputDirs | undefined },
): Record<string, string> {
  const env: Record<string, string> = {};
  const passed = new Set([...INHERITED_ENV_NAMES, ...(opts.passEnv ?? [])]);
  for (const [name, value] of Object.entries(opts.base)) {
    if (value === undefined || JOB_ENV_NAMES.includes(name)) continue;
    if (passed.has(name) || INHERITED_PREFIXES.some((p) => name.startsWith(p))) env[name] = value;
  }
  Object.assign(env, {
    BASE_URL: job.baseUrl,
    BROWSER: job.browser,
    PLAYWRIGHT_PROJECT: job.project,
    TEST_USER: job.testUser,
    WORKERS: String(job.workers),
    RETRIES: String(job.retries),
    RUN_ID: job.runId,
    REPORT_FILE: reportFile,
    // Where Playwright's json reporter writes: _OUTPUT_FILE since 1.47, _OUTPUT_NAME before
    // (an absolute name wins over the output dir). A reporter `outputFile` in the suite's
    // playwright.config overrides both and must not be set.
    PLAYWRIGHT_JSON_OUTPUT_FILE: reportFile,
    PLAYWRIGHT_JSON_OUTPUT_NAME: reportFile,
  });
  if (opts.dirs) {
    Object.assign(env, {
      // For `--output="$TEST_OUTPUT_DIR"` (or outputDir in the suite's config): only files there are kept.
      TEST_OUTPUT_DIR: opts.dirs.testOutputDir,
      // The html reporter's folder (_OUTPUT_DIR since 1.49, _REPORT before), never opened in a browser here.
      PLAYWRIGHT_HTML_OUTPUT_DIR: opts.dirs.htmlReportDir,
      PLAYWRIGHT_HTML_REPORT: opts.dirs.htmlReportDir,
      PLAYWRIGHT_HTML_OPEN: 'never',
    });
  }
  if (job.testPassword !== undefined) env.TEST_PASSWORD = job.testPassword;
  if (job.ref !== null) env.STAGEBOT_REF = job.ref;
  // A retest's --grep: the configured command passes it on quoted (`${TEST_GREP:+--grep "$TEST_GREP"}`).
  if (job.grep) env.TEST_GREP = job.grep;
  return env;
}

/** Names whose values no process can receive (NUL bytes); checked so that the error names the variable, not the value. */
export function unpassableEnvNames(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([, value]) => value.includes('\0'))
    .map(([name]) => name);
}
