// `stagebot <verb> …`: the command language from a terminal, plus serve, config check and doctor.
// Results go to stdout (one JSON document with --output json), logs and progress to stderr. The
// services behind the commands come from the entry point (src/app/cli.ts), loaded only when needed.
import { userInfo } from 'node:os';
import { parseArgv, type CommandContext } from '../../commands/index.ts';
import { loadConfig, summarizeConfig, type Config } from '../../config/index.ts';
import { sanitizeRequester } from '../../domain/requester.ts';
import { ConfigError, isUserError } from '../../errors.ts';
import { createLogger, silentLogger, type Logger } from '../../observability/logger.ts';
import type { CommandExecutor, CommandResult } from '../../commands/executor.ts';
import type { DoctorProbes } from './doctor.ts';
import type { CliIo } from './io.ts';

export type { CliIo } from './io.ts';
import { cliHelp, isCliOnly } from './help.ts';
import { splitGlobalOptions, type GlobalOptions } from './global-options.ts';
import { VERSION } from '../../version.ts';

// The engine, the AWS SDK and the server load only for the commands that use them, so that
// --help, usage errors and `config check` answer at once.


/** What a command needs behind it: the executor, and how to let go of what it opened. */
export interface CliServices {
  commands: Pick<CommandExecutor, 'execute' | 'view' | 'follow' | 'interrupt' | 'onEvent' | 'stepNames' | 'queueStatus' | 'recoverAbandoned' | 'drives'>;
  close(): Promise<void>;
}

/** The verbs that read or change runs: before them, a CLI finishes what dead processes left (foreground.ts). */
const RECOVERING_VERBS = new Set(['launch', 'teardown', 'cancel', 'status', 'list', 'sweep']);

/** What the entry point (src/app/cli.ts) provides; each loads its modules when it is called. */
export interface CliEntry {
  serve(opts: { configPath: string | undefined; env: NodeJS.ProcessEnv; cwd?: string }): Promise<number>;
  open(opts: { config: Config; logger: Logger; env: NodeJS.ProcessEnv; helpPrefix: string }): Promise<CliServices>;
  doctorProbes(): Promise<DoctorProbes>;
  /** The IAM policy (a JSON document) the configuration needs. */
  iamPolicy(config: Config): Promise<string>;
}

/** Runs one invocation and returns its exit code (0 ok, 1 failed or invalid, 2 bad usage). */
export async function runCli(argv: readonly string[], io: CliIo, entry: CliEntry): Promise<number> {
  let options: GlobalOptions = { configPath: undefined, output: 'text', help: false, version: false };
  try {
    const split = splitGlobalOptions(argv);
    options = split.options;
    const [verb, ...rest] = split.rest;
    if (options.version) return print(io, `stagebot ${VERSION}`);
    if (verb === undefined || (verb === 'help' && rest.length === 0)) return print(io, cliHelp());
    // `doctor --help` and `help serve` explain the process commands; they never run them.
    const topic = options.help ? verb : verb === 'help' ? rest[0] : undefined;
    if (topic !== undefined && isCliOnly(topic)) return print(io, cliHelp(topic));
    if (options.help) return print(io, await verbHelp(split.rest));
    switch (verb) {
      case 'serve':
        return await entry.serve({ configPath: options.configPath, env: io.env, ...(io.cwd ? { cwd: io.cwd } : {}) });
      case 'config':
        if (rest[0] !== 'check') return fail(io, options, new ConfigError(`unknown config subcommand${rest[0] ? ` \`${rest[0].slice(0, 40)}\`` : ''}; use \`stagebot config check [--config FILE]\``), 2);
        return await configCheck(io, options);
      case 'doctor': {
        const { runDoctor } = await import('./doctor.ts');
        return await runDoctor(io, options, await entry.doctorProbes());
      }
      case 'iam-policy':
        if (rest.length > 0) return fail(io, options, new ConfigError(`iam-policy takes no arguments (got \`${rest[0]!.slice(0, 40)}\`); use \`stagebot iam-policy [--config FILE]\``), 2);
        return await iamPolicy(io, options, entry);
      default:
        return await runCommand(split.rest, io, options, entry);
    }
  } catch (err) {
    return fail(io, options, err);
  }
}

async function verbHelp(rest: string[]): Promise<string> {
  const { helpText } = await import('../../commands/index.ts');
  return helpText(rest[0], { prefix: 'stagebot' });
}

async function configCheck(io: CliIo, options: GlobalOptions): Promise<number> {
  const loaded = await loadConfig({ path: options.configPath, env: io.env, ...(io.cwd ? { cwd: io.cwd } : {}) });
  warnIfExample(io, loaded.usingExample);
  if (options.output === 'json') {
    return print(io, JSON.stringify({ ok: true, path: loaded.path, usingExample: loaded.usingExample, environments: Object.keys(loaded.config.environments), warnings: loaded.warnings }, null, 2));
  }
  // Valid, so exit 0; what is probably wrong goes to stderr, where a person sees it even past a pipe.
  for (const warning of loaded.warnings) io.stderr.write(`stagebot: warning: ${warning}\n`);
  return print(io, summarizeConfig(loaded));
}

/** The policy is a JSON document whatever --output says: it is meant to be saved or piped to the AWS CLI. */
async function iamPolicy(io: CliIo, options: GlobalOptions, entry: CliEntry): Promise<number> {
  const loaded = await loadConfig({ path: options.configPath, env: io.env, ...(io.cwd ? { cwd: io.cwd } : {}) });
  warnIfExample(io, loaded.usingExample);
  io.stdout.write(await entry.iamPolicy(loaded.config));
  return 0;
}

/** On stderr, so that it reaches a person even when stdout is a JSON document or a file. */
function warnIfExample(io: CliIo, usingExample: boolean): void {
  if (usingExample) io.stderr.write('stagebot: no ./stagebot.yml; using the bundled stagebot.example.yml (cp stagebot.example.yml stagebot.yml to make your own)\n');
}

function commandContext(config: Config): CommandContext {
  return { environments: Object.keys(config.environments), browsers: Object.keys(config.browsers), keepMaxMs: config.runs.keepMax };
}

async function runCommand(argv: string[], io: CliIo, options: GlobalOptions, entry: CliEntry): Promise<number> {
  const loaded = await loadConfig({ path: options.configPath, env: io.env, ...(io.cwd ? { cwd: io.cwd } : {}) });
  const command = parseArgv(argv, commandContext(loaded.config));
  // Parsing and help need no store: a typo never creates ./data.
  if (command.verb === 'help') {
    const { helpText } = await import('../../commands/index.ts');
    return print(io, helpText(command.topic, { prefix: 'stagebot' }));
  }
  const logger: Logger = options.output === 'json' && !io.env.LOG_LEVEL ? silentLogger() : createLogger({ destination: io.stderr, level: io.env.LOG_LEVEL ?? 'warn' });
  warnIfExample(io, loaded.usingExample);
  const { renderResult } = await import('./render.ts');
  const services = await entry.open({ config: loaded.config, logger, env: io.env, helpPrefix: 'stagebot' });
  let exitNow: number | null = null;
  try {
    const actor = { requester: sanitizeRequester('cli', io.env.USER ?? safeUserName()), source: 'cli' as const, admin: true };
    if (RECOVERING_VERBS.has(command.verb) && !(command.verb === 'launch' && command.dryRun)) {
      const { finishAbandoned } = await import('./foreground.ts');
      // `teardown RUN` and `cancel RUN` act on their own run themselves (below), whatever else was left.
      const except = command.verb === 'teardown' || command.verb === 'cancel' ? (command.run ?? undefined) : undefined;
      await finishAbandoned(services.commands, io, except);
    }
    // Progress listens before the launch: its first steps start before execute() returns.
    const { attachProgress } = await import('./progress.ts');
    const detach =
      command.verb === 'launch' && !command.dryRun
        ? attachProgress(services.commands, null, io.stderr)
        : command.verb === 'teardown' || command.verb === 'cancel'
          ? attachProgress(services.commands, command.run, io.stderr, { lines: true })
          : null;
    try {
      const result = await services.commands.execute(command, actor);
      if (result.kind === 'launched') {
        const outcome = await followLaunch(services, result.run.id, result.position !== null, io, options, actor.requester);
        if (outcome.abandoned) exitNow = outcome.exit;
        return outcome.exit;
      }
      if ((command.verb === 'teardown' || command.verb === 'cancel') && result.kind === 'run') return await followTeardown(services, result.view.run.id, io, options);
      print(io, options.output === 'json' ? JSON.stringify(jsonOf(result), null, 2) : renderResult(result));
      return result.kind === 'dry-run' && !result.report.ok ? 1 : 0;
    } finally {
      detach?.();
    }
  } finally {
    // A launch that stopped waiting for its teardown (the bound, or a second signal) exits now: the
    // teardown still in flight would keep the process alive; its lease lapses and the next command (or
    // a server) finishes it.
    if (exitNow !== null) io.exit?.(exitNow);
    await services.close();
  }
}

/** `launch` from a terminal runs in the foreground: progress on stderr, the run's document at the end. */
async function followLaunch(
  services: CliServices,
  runId: string,
  queued: boolean,
  io: CliIo,
  options: GlobalOptions,
  requester: string,
): Promise<{ exit: number; abandoned: boolean }> {
  const { renderRunDocument, runDocument } = await import('./render.ts');
  const { followInForeground } = await import('./foreground.ts');
  const status = queued ? await services.commands.queueStatus(runId) : null;
  const outcome = await followInForeground(services.commands, runId, status, io, { requester });
  if (!outcome.run) return { exit: outcome.code ?? 1, abandoned: true };
  const doc = runDocument(await services.commands.view(outcome.run));
  print(io, options.output === 'json' ? JSON.stringify(doc, null, 2) : renderRunDocument(doc));
  if (outcome.code !== null) return { exit: outcome.code, abandoned: false };
  return { exit: outcome.run.state === 'succeeded' || outcome.run.state === 'kept' ? 0 : 1, abandoned: false };
}

/**
 * `teardown` and `cancel` wait for the teardown they asked for (its progress, attached before the
 * command, on stderr), then say
 * whether the environment is gone: exit 0 when nothing of it is left, 1 otherwise.
 */
async function followTeardown(services: CliServices, runId: string, io: CliIo, options: GlobalOptions): Promise<number> {
  const { renderResult, tornDownLine } = await import('./render.ts');
  io.stderr.write(`run ${runId}: tearing down; waiting until it is done\n`);
  // A run driven by another process is followed through the store, with the engine's unref'd polls:
  // without a timer of its own the process would see nothing left to do and exit mid-wait.
  const keepAlive = setInterval(() => undefined, 60_000);
  let view;
  try {
    view = await services.commands.view(await services.commands.follow(runId));
  } finally {
    clearInterval(keepAlive);
  }
  const result = { kind: 'run' as const, view };
  print(io, options.output === 'json' ? JSON.stringify(jsonOf(result), null, 2) : `${renderResult(result)}\n${tornDownLine(view)}`);
  return view.assets.every((a) => a.deletedAt !== null) ? 0 : 1;
}

/** The JSON document of a result: audit reports as their data, a run as its summary, everything else as it is. */
function jsonOf(result: CommandResult): unknown {
  if (result.kind === 'sweep' || result.kind === 'cost') return result.report.data;
  if (result.kind === 'run') {
    const { run, timings, browsers, cost, deadManSwitch, assets } = result.view;
    return { kind: 'run', view: { run, timings, browsers, cost, deadManSwitch, assets } };
  }
  return result;
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

function print(io: CliIo, text: string): number {
  io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  return 0;
}

function fail(io: CliIo, options: GlobalOptions, err: unknown, code?: number): number {
  if (isUserError(err)) {
    // In text, a problem the message already states is not repeated (one missing variable); a
    // YAML syntax error's message names the file and its problem line says where. A JSON reader
    // always finds them under `problems`.
    const problems = err instanceof ConfigError && (err.problems.length > 1 || !err.message.includes(err.problems[0] ?? '')) ? err.problems : [];
    if (options.output === 'json') {
      const all = err instanceof ConfigError ? err.problems : [];
      io.stdout.write(`${JSON.stringify({ ok: false, error: err.message, ...(all.length ? { problems: all } : {}) }, null, 2)}\n`);
    } else {
      io.stderr.write(`stagebot: ${err.message}\n`);
      for (const p of problems) io.stderr.write(`  ${p}\n`);
    }
    return code ?? err.exitCode;
  }
  // Not the user's fault: say so in one line; the stack is for whoever sets LOG_LEVEL=debug.
  const message = err instanceof Error ? err.message.split('\n', 1)[0] : String(err);
  if (options.output === 'json') io.stdout.write(`${JSON.stringify({ ok: false, error: `internal error: ${message}` })}\n`);
  else io.stderr.write(`stagebot: internal error: ${message}\n`);
  if (io.env.LOG_LEVEL === 'debug' && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return 70;
}
