// `stagebot <verb> …`: the command language from a terminal, plus serve, config check and doctor.
// Results go to stdout (one JSON document of one shape with --output json, see output.ts), logs and
// progress to stderr. Every module a command needs is imported when that command runs: `--help` loads
// the help text and nothing else, `list` the config and the store, and only the commands that act on
// AWS load the engine and the SDK (their services come from the entry point, src/app/cli.ts).
import type { CommandContext } from '../../commands/types.ts';
import type { Config } from '../../config/index.ts';
import { CommandError, EXIT_CODES } from '../../errors.ts';
import type { CommandExecutor } from '../../commands/executor.ts';
import type { DoctorProbes } from './doctor.ts';
import type { CliIo } from './io.ts';

export type { CliIo } from './io.ts';
import { cliHelp, isCliOnly } from './help.ts';
import { commandName, splitGlobalOptions, wantsJson, type GlobalOptions } from './global-options.ts';
import { emit, failure, fellShort, succeeded, type Outcome } from './output.ts';

/** What a command needs behind it: the executor, and how to let go of what it opened. */
export interface CliServices {
  commands: Pick<CommandExecutor, 'execute' | 'view' | 'follow' | 'interrupt' | 'onEvent' | 'stepNames' | 'queueStatus' | 'recoverAbandoned' | 'drives'>;
  close(): Promise<void>;
}

/** The verbs that read or change runs: before them, a CLI finishes what dead processes left (foreground.ts). */
const RECOVERING_VERBS = new Set(['launch', 'bake', 'promote', 'teardown', 'cancel', 'retest', 'status', 'list', 'sweep']);

/** Where the services log: pino on stderr at `level`, or nowhere (a JSON document must stay alone on stdout). */
export type CliLogging = { destination: NodeJS.WritableStream; level: string } | 'silent';

/** What the entry point (src/app/cli.ts) provides; each loads its modules when it is called. */
export interface CliEntry {
  serve(opts: { configPath: string | undefined; env: NodeJS.ProcessEnv; cwd?: string }): Promise<number>;
  open(opts: { config: Config; logging: CliLogging; env: NodeJS.ProcessEnv; helpPrefix: string }): Promise<CliServices>;
  doctorProbes(): Promise<DoctorProbes>;
  /** The IAM policy (a JSON document) the configuration needs. */
  iamPolicy(config: Config): Promise<string>;
}

/** Runs one invocation and returns its exit code (EXIT_CODES: 0 ok, 1 failed, 2 bad usage, …). */
export async function runCli(argv: readonly string[], io: CliIo, entry: CliEntry): Promise<number> {
  let options: GlobalOptions = { configPath: undefined, output: wantsJson(argv) ? 'json' : 'text', help: false, version: false };
  let command = commandName(argv.filter((a, i) => !a.startsWith('-') && argv[i - 1] !== '--config' && argv[i - 1] !== '--output'));
  try {
    const split = splitGlobalOptions(argv);
    options = split.options;
    command = commandName(split.rest);
    return emit(io, options, await dispatch(split.rest, io, options, entry));
  } catch (err) {
    return failure(io, options, command, err);
  }
}

async function dispatch(argv: string[], io: CliIo, options: GlobalOptions, entry: CliEntry): Promise<Outcome> {
  const [verb, ...rest] = argv;
  if (options.version) {
    const { VERSION } = await import('../../version.ts');
    return succeeded('version', { version: VERSION }, `stagebot ${VERSION}`);
  }
  if (verb === undefined || (verb === 'help' && rest.length === 0)) return help(null, cliHelp());
  // `doctor --help` and `help serve` explain the process commands; they never run them.
  const topic = options.help ? verb : verb === 'help' ? rest[0] : undefined;
  if (topic !== undefined && isCliOnly(topic)) return help(topic, cliHelp(topic));
  // Help for a verb of the command language needs no config: only the grammar.
  if (options.help || (verb === 'help' && rest.length === 1)) return help(topic ?? null, await verbHelp(topic));
  switch (verb) {
    case 'serve': {
      const code = await entry.serve({ configPath: options.configPath, env: io.env, ...(io.cwd ? { cwd: io.cwd } : {}) });
      return code === EXIT_CODES.ok ? succeeded('serve', null, '') : fellShort('serve', null, '', ['the server stopped with an error'], code);
    }
    case 'config': {
      if (rest[0] !== 'check') throw new CommandError(`unknown config subcommand${rest[0] ? ` \`${rest[0].slice(0, 40)}\`` : ''}; use \`stagebot config check [--config FILE]\``);
      return await configCheck(io, options);
    }
    case 'doctor': {
      const { runDoctor } = await import('./doctor.ts');
      return await runDoctor(io, options, await entry.doctorProbes());
    }
    case 'iam-policy':
      if (rest.length > 0) throw new CommandError(`iam-policy takes no arguments (got \`${rest[0]!.slice(0, 40)}\`); use \`stagebot iam-policy [--config FILE]\``);
      return await iamPolicy(io, options, entry);
    default:
      return await runCommand(argv, io, options, entry);
  }
}

function help(topic: string | null, text: string): Outcome {
  return succeeded('help', { topic, text }, text);
}

async function verbHelp(topic: string | undefined): Promise<string> {
  const { helpText } = await import('../../commands/help.ts');
  return helpText(topic, { prefix: 'stagebot' });
}

async function configCheck(io: CliIo, options: GlobalOptions): Promise<Outcome> {
  const { loadConfig, summarizeConfig } = await import('../../config/index.ts');
  const loaded = await loadConfig({ path: options.configPath, env: io.env, ...(io.cwd ? { cwd: io.cwd } : {}) });
  warnIfExample(io, loaded.usingExample);
  // Valid, so exit 0; what is probably wrong goes to stderr, where a person sees it even past a pipe.
  if (options.output === 'text') for (const warning of loaded.warnings) io.stderr.write(`stagebot: warning: ${warning}\n`);
  const result = { path: loaded.path, usingExample: loaded.usingExample, environments: Object.keys(loaded.config.environments), warnings: loaded.warnings };
  return succeeded('config check', result, summarizeConfig(loaded));
}

/**
 * The policy document itself in text (to save, or pipe to the AWS CLI); with --output json, the
 * policy is the `result` of the one document every command prints.
 */
async function iamPolicy(io: CliIo, options: GlobalOptions, entry: CliEntry): Promise<Outcome> {
  const { loadConfig } = await import('../../config/index.ts');
  const loaded = await loadConfig({ path: options.configPath, env: io.env, ...(io.cwd ? { cwd: io.cwd } : {}) });
  warnIfExample(io, loaded.usingExample);
  const policy = await entry.iamPolicy(loaded.config);
  return succeeded('iam-policy', JSON.parse(policy) as unknown, policy);
}

/** On stderr, so that it reaches a person even when stdout is a JSON document or a file. */
function warnIfExample(io: CliIo, usingExample: boolean): void {
  if (usingExample) io.stderr.write('stagebot: no ./stagebot.yml; using the bundled stagebot.example.yml (cp stagebot.example.yml stagebot.yml to make your own)\n');
}

function commandContext(config: Config): CommandContext {
  return { environments: Object.keys(config.environments), browsers: Object.keys(config.browsers), keepMaxMs: config.runs.keepMax, images: Object.keys(config.images) };
}

async function runCommand(argv: string[], io: CliIo, options: GlobalOptions, entry: CliEntry): Promise<Outcome> {
  // An unchanged stagebot.yml comes from the cache: the YAML parser and the schema load only to parse.
  const [{ loadConfig }, { ConfigCache, configCacheDir }] = await Promise.all([import('../../config/load.ts'), import('../../config/cache.ts')]);
  const cacheDir = configCacheDir(io.env);
  const cache = cacheDir ? ConfigCache.open(cacheDir) : null;
  const loaded = await loadConfig({ path: options.configPath, env: io.env, cache, ...(io.cwd ? { cwd: io.cwd } : {}) });
  const { parseArgv } = await import('../../commands/parse.ts');
  const command = parseArgv(argv, commandContext(loaded.config));
  // Parsing and help need no store: a typo never creates ./data.
  if (command.verb === 'help') return help(command.topic, await verbHelp(command.topic ?? undefined));
  const logging: CliLogging = options.output === 'json' && !io.env.LOG_LEVEL ? 'silent' : { destination: io.stderr, level: io.env.LOG_LEVEL ?? 'warn' };
  warnIfExample(io, loaded.usingExample);
  const services = await entry.open({ config: loaded.config, logging, env: io.env, helpPrefix: 'stagebot' });
  let exitNow: number | null = null;
  try {
    const { sanitizeRequester } = await import('../../domain/requester.ts');
    const actor = { requester: sanitizeRequester('cli', io.env.USER ?? (await safeUserName())), source: 'cli' as const, admin: true };
    if (RECOVERING_VERBS.has(command.verb) && !((command.verb === 'launch' || command.verb === 'bake') && command.dryRun)) {
      const { finishAbandoned } = await import('./foreground.ts');
      // `teardown RUN` and `cancel RUN` act on their own run themselves (below), whatever else was left.
      const except = command.verb === 'teardown' || command.verb === 'cancel' || command.verb === 'retest' ? (command.run ?? undefined) : undefined;
      await finishAbandoned(services.commands, io, except);
    }
    // Progress listens before the launch: its first steps start before execute() returns.
    let detach: (() => void) | null = null;
    if (command.verb === 'launch' && !command.dryRun) detach = (await import('./progress.ts')).attachProgress(services.commands, null, io.stderr);
    else if (command.verb === 'bake' && !command.dryRun) {
      const { BAKE_STEP_NAMES } = await import('../../domain/image.ts');
      detach = (await import('./progress.ts')).attachProgress(services.commands, null, io.stderr, { stepNames: BAKE_STEP_NAMES });
    } else if (command.verb === 'promote') {
      // A promotion's steps, and its progress per region (the copies' log lines) as it goes.
      const { PROMOTE_STEP_NAMES } = await import('../../domain/image.ts');
      detach = (await import('./progress.ts')).attachProgress(services.commands, null, io.stderr, { stepNames: PROMOTE_STEP_NAMES, logs: true });
    }
    else if (command.verb === 'teardown' || command.verb === 'cancel' || command.verb === 'retest') detach = (await import('./progress.ts')).attachProgress(services.commands, command.run, io.stderr, { lines: true });
    try {
      const result = await services.commands.execute(command, actor);
      if (result.kind === 'launched') {
        const outcome = await followLaunch(services, result.run.id, result.position !== null, io, actor.requester, command.verb === 'bake' || command.verb === 'promote' ? command.verb : 'launch');
        if (outcome.abandoned) exitNow = outcome.code;
        return outcome;
      }
      if ((command.verb === 'teardown' || command.verb === 'cancel') && result.kind === 'run') return await followTeardown(services, command.verb, result.view.run.id, io);
      if (command.verb === 'retest' && result.kind === 'run') return await followRetest(services, result.view.run.id, io);
      const { resultOutcome } = await import('./render.ts');
      return resultOutcome(command.verb, result);
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
async function followLaunch(services: CliServices, runId: string, queued: boolean, io: CliIo, requester: string, verb: 'launch' | 'bake' | 'promote' = 'launch'): Promise<Outcome & { abandoned: boolean }> {
  const { runOutcome, runDocument } = await import('./render.ts');
  const { followInForeground, signalledOutcome } = await import('./foreground.ts');
  const status = queued ? await services.commands.queueStatus(runId) : null;
  // The acknowledgement says what it will cost before anything is spent (the document repeats it as `estimate`).
  const { estimateText } = await import('../../commands/estimate-text.ts');
  const estimate = (await services.commands.view(runId).catch(() => null))?.estimate;
  if (estimate) io.stderr.write(`stagebot: run ${runId}: expected cost ${estimateText(estimate)}\n`);
  const outcome = await followInForeground(services.commands, runId, status, io, { requester });
  if (!outcome.run) return { ...signalledOutcome(runId, outcome.code), abandoned: true };
  const done = runOutcome(verb, runDocument(await services.commands.view(outcome.run)));
  // Ended by a signal: the run's document, with the signal's exit code (128 + its number).
  return { ...done, ...(outcome.code !== null ? { code: outcome.code } : {}), abandoned: false };
}

/**
 * `teardown` and `cancel` wait for the teardown they asked for (its progress, attached before the
 * command, on stderr), then say whether the environment is gone: ok when nothing of it is left.
 */
async function followTeardown(services: CliServices, verb: 'teardown' | 'cancel', runId: string, io: CliIo): Promise<Outcome> {
  const { teardownOutcome } = await import('./render.ts');
  io.stderr.write(`run ${runId}: tearing down; waiting until it is done\n`);
  // A run driven by another process is followed through the store, with the engine's unref'd polls:
  // without a timer of its own the process would see nothing left to do and exit mid-wait.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    return teardownOutcome(verb, await services.commands.view(await services.commands.follow(runId)));
  } finally {
    clearInterval(keepAlive);
  }
}

/** `retest` waits for the tests it asked for (progress on stderr), then prints the run: ok when they passed and the environment is still kept. */
async function followRetest(services: CliServices, runId: string, io: CliIo): Promise<Outcome> {
  const { runDocument, renderRunDocument } = await import('./render.ts');
  const { succeeded, fellShort } = await import('./output.ts');
  io.stderr.write(`run ${runId}: retesting on its kept environment; waiting for the tests\n`);
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    const doc = runDocument(await services.commands.view(await services.commands.follow(runId)));
    if (doc.state === 'kept' && doc.error === null) return succeeded('retest', doc, renderRunDocument(doc));
    return fellShort('retest', doc, renderRunDocument(doc), [doc.error ?? `run ${runId} ${doc.state}`]);
  } finally {
    clearInterval(keepAlive);
  }
}

async function safeUserName(): Promise<string> {
  try {
    const { userInfo } = await import('node:os');
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
