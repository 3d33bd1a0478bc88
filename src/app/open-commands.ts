// The CLI's services: the store and the prices at once, everything that acts on AWS (the engine, the
// audit, `launch --dry-run`) the first time a command needs it. `list`, `status`, `lock`, `unlock` and
// `assets` on SQLite load neither the AWS SDK nor SSH nor `pg` (test/app/cli-modules.test.ts checks).
import type { Audit } from '../commands/executor.ts';
import { CommandExecutor } from '../commands/executor.ts';
import type { CliLogging, CliServices } from '../bot/cli/main.ts';
import { loadPrices } from '../audit/price-cache.ts';
import type { Config } from '../config/index.ts';
import { systemClock } from '../domain/clock.ts';
import type { Logger } from '../observability/logger.ts';
import { DEFAULT_STEP_NAMES } from '../pipeline/step-order.ts';
import { openStore } from '../store/open.ts';
import type { Core, CoreOptions } from './build-core.ts';
import { LazyEngine } from './lazy-engine.ts';

export interface CommandServiceOptions extends Pick<CoreOptions, 'aws' | 'clock' | 'testRunner'> {
  config: Config;
  logging: CliLogging;
  env: NodeJS.ProcessEnv;
  helpPrefix: string;
}

async function makeLogger(logging: CliLogging): Promise<Logger> {
  const { createLogger, silentLogger } = await import('../observability/logger.ts');
  return logging === 'silent' ? silentLogger() : createLogger({ destination: logging.destination, level: logging.level });
}

export async function openCommands(opts: CommandServiceOptions): Promise<CliServices> {
  const { config, env } = opts;
  const store = await openStore({ databaseUrl: env.DATABASE_URL, sqlitePath: config.store.sqlitePath });
  try {
    const prices = await loadPrices(store, config);
    let core: Promise<Core> | null = null;
    // false: a CLI engine drives only what this process launched.
    const coreOnce = (): Promise<Core> =>
      (core ??= import('./build-core.ts').then(async ({ buildCore }) =>
        buildCore({ config, store, prices, env, background: false, logger: await makeLogger(opts.logging), aws: opts.aws, clock: opts.clock, testRunner: opts.testRunner }),
      ));
    const engine = new LazyEngine(() => coreOnce().then((c) => c.engine), { config, clock: opts.clock ?? systemClock, stepNames: DEFAULT_STEP_NAMES });
    const audit: Audit = {
      sweep: async (o) => (await coreOnce()).audit.sweep(o),
      cost: async (o) => (await coreOnce()).audit.cost(o),
    };
    const commands = new CommandExecutor({ engine, store, prices, audit, helpPrefix: opts.helpPrefix, dryRun: async (env, actor) => (await coreOnce()).dryRun(env, actor) });
    return {
      commands,
      async close() {
        // A core that failed to build has nothing to stop.
        if (core) await core.then((c) => c.close(), () => undefined);
        await store.close();
      },
    };
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
}
