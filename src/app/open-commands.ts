// The CLI's services: the store and the prices at once; what acts on AWS (the engine, the audit,
// `launch --dry-run`, the AWS clients) each the first time a command needs it. `list`, `status`, `lock`, `unlock` and
// `assets` on SQLite load neither the AWS SDK nor SSH nor `pg` (test/app/cli-modules.test.ts checks).
import type { Actor, Audit, Images } from '../commands/executor.ts';
import { CommandExecutor } from '../commands/executor.ts';
import type { CliLogging, CliServices } from '../bot/cli/main.ts';
import { loadPrices } from '../audit/price-cache.ts';
import type { Config } from '../config/index.ts';
import { systemClock } from '../domain/clock.ts';
import type { Logger } from '../observability/logger.ts';
import { DEFAULT_STEP_NAMES } from '../pipeline/step-order.ts';
import { openStore } from '../store/open.ts';
import type { CoreOptions } from './build-core.ts';
import { LazyEngine } from './lazy-engine.ts';
import { artifactLinks } from './artifact-links.ts';

export interface CommandServiceOptions extends Pick<CoreOptions, 'aws' | 'clock' | 'testRunner' | 'artifacts' | 'manifest'> {
  config: Config;
  logging: CliLogging;
  env: NodeJS.ProcessEnv;
  helpPrefix: string;
}

async function makeLogger(logging: CliLogging): Promise<Logger> {
  const { createLogger, silentLogger } = await import('../observability/logger.ts');
  return logging === 'silent' ? silentLogger() : createLogger({ destination: logging.destination, level: logging.level });
}

/** `make()` on the first call, its promise after. */
function once<T>(make: () => Promise<T>): { get(): Promise<T>; started(): Promise<T> | null } {
  let pending: Promise<T> | null = null;
  return { get: () => (pending ??= make()), started: () => pending };
}

export async function openCommands(opts: CommandServiceOptions): Promise<CliServices> {
  const { config, env } = opts;
  const store = await openStore({ databaseUrl: env.DATABASE_URL, sqlitePath: config.store.sqlitePath });
  try {
    const prices = await loadPrices(store, config);
    const clock = opts.clock ?? systemClock;
    // Each piece loads with the first command that needs it: the audit (sweep, cost) needs no
    // engine or test runner; the engine (launch, cancel…) no audit.
    const parts = once(() => import('./build-core.ts'));
    const logger = once(() => makeLogger(opts.logging));
    const aws = once(async () => opts.aws ?? (await parts.get()).awsClientsFor(config));
    const artifacts = once(async () => (await parts.get()).artifactStorage(config, await aws.get(), opts.artifacts));
    // One manifest backend for every command of this process (a GitHub one holds the App's token).
    const manifest = once(async () => opts.manifest ?? (await parts.get()).imageManifestFor(config, store, env, await logger.get()));
    const audit = once(async () => (await parts.get()).buildAudit({ config, store, prices, clock, logger: await logger.get(), aws: await aws.get(), artifacts: await artifacts.get(), manifest: await manifest.get() }));
    const engine = new LazyEngine(
      async () =>
        (await parts.get()).buildEngine({
          config, store, prices, env, clock, testRunner: opts.testRunner, logger: await logger.get(), aws: await aws.get(), artifacts: await artifacts.get(), manifest: await manifest.get(),
          // A CLI engine drives only what this process launched.
          background: false,
        }),
      { config, clock, stepNames: DEFAULT_STEP_NAMES, store },
    );
    const auditPort: Audit = {
      sweep: async (o) => (await audit.get()).sweep(o),
      cost: async (o) => (await audit.get()).cost(o),
      orphans: async (o) => (await audit.get()).orphans(o),
      spend: async (o) => (await audit.get()).spend(o),
    };
    const images = once(async () => (await parts.get()).buildImages({ config, store, prices, clock, aws: await aws.get(), manifest: await manifest.get() }));
    const imagesPort: Images = {
      report: async (image) => (await images.get()).report(image),
      dryRunBake: async (image, actor) => (await images.get()).dryRunBake(image, actor),
    };
    const dryRun = async (envName: string, actor: Actor) => (await parts.get()).dryRunner(config, await aws.get(), () => clock.now(), { store, env, manifest: await manifest.get() })(envName, actor);
    // The CLI serves no files: RunView only needs links to them.
    const links = await artifactLinks(config, env, store, await logger.get());
    const commands = new CommandExecutor({ engine, store, prices, audit: auditPort, images: imagesPort, helpPrefix: opts.helpPrefix, dryRun, artifacts: { links } });
    return {
      commands,
      async close() {
        // What was never built has nothing to stop; what failed to build neither.
        await engine.built?.stop().catch(() => undefined);
        const clients = aws.started();
        if (clients && !opts.aws) await clients.then((c) => c.destroy(), () => undefined);
        await store.close();
      },
    };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}
