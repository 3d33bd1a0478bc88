// `stagebot --help`: the CLI's own verbs and options, then the shared command language's help.
import { overviewText } from '../../commands/help-overview.ts';

const CLI_ONLY: Record<string, string> = {
  serve: `stagebot serve
  Runs the bot: one HTTP server (PORT, default 3000) with /healthz, /readyz, /metrics,
  /slack/events and /api/github/webhooks, the run engine and the sweeper's schedule.
  A front whose secrets are missing is disabled with a log line naming what to set.`,
  config: `stagebot config check [--config FILE]
  Validates the configuration. Exit 0 and a one-screen summary when valid; exit 1 and every
  problem, one per line as \`path.to.key: what is wrong (what is valid)\`, when not. What is
  valid but probably wrong (an instance type the price table does not know) is a warning on
  stderr, with a did-you-mean.`,
  doctor: `stagebot doctor [--config FILE]
  Checks config (every problem and warning by path), store, AWS credentials and account
  allowlist, SSH keys, test-user passwords, Slack and GitHub settings, and says what is missing.
  Exit 1 when something must be fixed.`,
  'iam-policy': `stagebot iam-policy [--config FILE]
  Prints the least-privilege IAM policy (JSON) for the configuration: create only with the
  installation's tag, remove only what carries it, revoke and route only on the environments'
  security groups and target groups, in the configured regions and accounts.`,
};

/** `serve`, `config`, `doctor`: the verbs only the CLI has, outside the shared command language. */
export function isCliOnly(verb: string): boolean {
  return Object.hasOwn(CLI_ONLY, verb);
}

export function cliHelp(verb?: string): string {
  if (verb && isCliOnly(verb)) return `${CLI_ONLY[verb]}\n`;
  return `stagebot — launch ephemeral AWS staging environments, run the Playwright suite, tear them down.

Usage: stagebot <command> [arguments] [--config FILE] [--output text|json]

Options (every command):
  --config FILE        configuration file (default: $STAGEBOT_CONFIG, else ./stagebot.yml,
                       else the bundled stagebot.example.yml)
  --output text|json   json prints one document { ok, command, result, errors } on stdout,
                       for every command and every failure; logs go to stderr
  -h, --help           this help; \`stagebot help <command>\` for one command
  -V, --version        print the version

Process commands:
  serve                run the bot (HTTP server, engine, sweeper schedule)
  config check         validate the configuration
  doctor               check everything the bot needs and say what is missing
  iam-policy           print the IAM policy this configuration needs

Exit codes: 0 done, 1 failed, 2 bad usage, 3 a sweep could not list everything, 4 a reap needs
--confirm (more due than sweeper.reapLimit), 5 AWS account not in aws.accountAllowlist, 70 a bug;
a foreground launch ended by 129 SIGHUP, 130 Ctrl-C or 143 SIGTERM (its run cancelled, torn down).

${overviewText('stagebot')}`;
}
