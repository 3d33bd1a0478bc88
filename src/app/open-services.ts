// The server's services, all built at start from the typed config: store, prices, what acts on AWS
// (build-core.ts: AWS clients, engine, audit) and the command executor. The fronts get the executor
// (and their own narrow view of the store); none of them builds its own. The CLI builds the same
// pieces lazily (open-commands.ts).
import type { AwsClients } from '../aws/clients.ts';
import type { Config } from '../config/index.ts';
import { loadPrices } from '../audit/price-cache.ts';
import type { Clock } from '../domain/clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { CommandExecutor } from '../commands/executor.ts';
import type { Engine } from '../pipeline/engine.ts';
import type { TestRunner } from '../pipeline/test-runners/types.ts';
import { openStore, type Store } from '../store/index.ts';
import type { AuditService } from '../audit/service.ts';
import type { ArtifactStorage } from '../artifacts/storage.ts';
import { artifactLinks } from './artifact-links.ts';
import { buildCore } from './build-core.ts';

export interface Services {
  config: Config;
  store: Store;
  aws: AwsClients;
  engine: Engine;
  /** What every front calls: the verbs, RunView, the board, the event feed. */
  commands: CommandExecutor;
  audit: AuditService;
  /** Where test artifacts are kept. */
  artifacts: ArtifactStorage;
  /** Stops the engine (runs in flight get `graceMs`, see Engine.stop), then closes AWS clients and the store. */
  close(graceMs?: number): Promise<void>;
}

export interface ServiceOptions {
  config: Config;
  logger: Logger;
  metrics?: Metrics;
  env?: NodeJS.ProcessEnv;
  /** false for the CLI: drive only what this process launched. */
  background: boolean;
  /** Tests inject the fake cloud, a store, a clock and a test runner. */
  aws?: AwsClients;
  store?: Store;
  clock?: Clock;
  testRunner?: TestRunner;
  /** Tests inject a storage (default: the configured directory or bucket). */
  artifacts?: ArtifactStorage;
  helpPrefix?: string;
}

export async function openServices(opts: ServiceOptions): Promise<Services> {
  const env = opts.env ?? process.env;
  const { config, logger } = opts;
  const store = opts.store ?? (await openStore({ databaseUrl: env.DATABASE_URL, sqlitePath: config.store.sqlitePath }));
  // Bundled table, overlaid with a cached Pricing API refresh and the config's overrides.
  const prices = await loadPrices(store, config);
  const core = await buildCore({ config, store, prices, logger, metrics: opts.metrics, env, background: opts.background, aws: opts.aws, clock: opts.clock, testRunner: opts.testRunner, artifacts: opts.artifacts });
  const links = await artifactLinks(config, env, store, logger);
  const commands = new CommandExecutor({
    engine: core.engine,
    store,
    prices,
    audit: core.audit,
    images: { report: (image) => core.images.report(image), dryRunBake: (image, actor) => core.images.dryRunBake(image, actor) },
    artifacts: { storage: core.artifacts, links },
    ...(opts.helpPrefix ? { helpPrefix: opts.helpPrefix } : {}),
    dryRun: (envName, actor) => core.dryRun(envName, actor),
  });
  return {
    config,
    store,
    aws: core.aws,
    engine: core.engine,
    commands,
    audit: core.audit,
    artifacts: core.artifacts,
    async close(graceMs?: number) {
      await core.close(graceMs);
      if (!opts.store) await store.close();
    },
  };
}
