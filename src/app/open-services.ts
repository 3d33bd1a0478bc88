// Builds what every entry point needs from the typed config: store, AWS clients, engine, audit and
// the command executor. The fronts get the executor (and their own narrow view of the store); none
// of them builds its own.
import type { AwsClients } from '../aws/clients.ts';
import { createAwsClients } from '../aws/clients.ts';
import { checkAccount } from '../aws/account.ts';
import type { Config } from '../config/index.ts';
import { loadPrices } from '../audit/index.ts';
import { newRunId } from '../domain/run-id.ts';
import type { Clock } from '../domain/clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { CommandExecutor, type Actor } from '../commands/executor.ts';
import { dryRunLaunch } from '../pipeline/dry-run.ts';
import { Engine } from '../pipeline/engine.ts';
import { createTestRunner } from '../pipeline/test-runners/create-runner.ts';
import type { TestRunner } from '../pipeline/test-runners/types.ts';
import { openStore, type Store } from '../store/index.ts';
import { createAudit, type AuditService } from '../audit/service.ts';
import { createProbot, githubApiUrl, githubSettings } from '../bot/github/index.ts';
import { installationTokenFor } from './github-installation-token.ts';
import { loadLinkKey } from '../artifacts/link-key.ts';
import { openArtifactStorage } from '../artifacts/open.ts';
import { LocalArtifactDir } from '../artifacts/local-dir.ts';
import type { ArtifactStorage } from '../artifacts/storage.ts';
import { ArtifactLinks, publicBaseUrl } from '../commands/artifact-links.ts';
import { ArtifactKeeper } from '../pipeline/test-runners/artifact-keeper.ts';

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

/**
 * The GitHub API for the github-workflow runner: the GitHub App's installation token on the
 * runner's repository when the App is configured, else GITHUB_TOKEN.
 */
function githubApi(config: Config, env: NodeJS.ProcessEnv, logger: Logger) {
  const runner = config.tests.runner;
  const settings = githubSettings(env);
  const baseUrl = env.GITHUB_API_URL ?? config.github?.apiUrl ?? 'https://api.github.com';
  if (runner.kind === 'github-workflow' && settings.enabled) {
    const apiUrl = githubApiUrl(settings, config.github?.apiUrl);
    const probot = createProbot(settings, { apiUrl, logger });
    return { baseUrl: apiUrl ?? baseUrl, getToken: installationTokenFor(probot, runner.repository) };
  }
  const token = env.GITHUB_TOKEN;
  if (!token) return undefined;
  return { baseUrl, getToken: async () => token };
}

export async function openServices(opts: ServiceOptions): Promise<Services> {
  const env = opts.env ?? process.env;
  const { config, logger } = opts;
  const store = opts.store ?? (await openStore({ databaseUrl: env.DATABASE_URL, sqlitePath: config.store.sqlitePath }));
  const aws = opts.aws ?? createAwsClients({ s3ForcePathStyle: config.artifacts.s3?.forcePathStyle ?? false });
  const artifacts = opts.artifacts ?? openArtifactStorage(config, aws);
  const keeper = new ArtifactKeeper({ storage: artifacts, maxRunBytes: config.artifacts.maxRunSize });
  const testRunner = opts.testRunner ?? createTestRunner(config.tests, { github: githubApi(config, env, logger), artifacts: keeper });
  const linkKey = await loadLinkKey(config.artifacts.linkSecretEnv, env, store);
  if (linkKey.from === 'store') logger.debug(`artifact links are signed with a key kept in the store (set ${config.artifacts.linkSecretEnv} to choose one)`);
  const links = new ArtifactLinks({ key: linkKey.key, publicUrl: publicBaseUrl(config) ?? undefined, linkTtlMs: config.artifacts.linkTtl, retentionMs: config.artifacts.retention });
  // Bundled table, overlaid with a cached Pricing API refresh and the config's overrides.
  const prices = await loadPrices(store, config);
  const engine = new Engine({
    config,
    store,
    aws,
    logger,
    testRunner,
    prices,
    background: opts.background,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const audit = createAudit({
    config,
    store,
    aws,
    prices,
    logger,
    ...(artifacts instanceof LocalArtifactDir ? { localArtifacts: artifacts } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  const commands = new CommandExecutor({
    engine,
    store,
    prices,
    audit,
    artifacts: { storage: artifacts, links },
    ...(opts.helpPrefix ? { helpPrefix: opts.helpPrefix } : {}),
    dryRun: async (envName: string, actor: Actor) => {
      const environment = config.environments[envName];
      if (!environment) throw new Error(`unknown environment ${envName}`);
      const now = engine.now();
      return dryRunLaunch({
        config,
        aws,
        env: environment,
        runId: newRunId(envName, now),
        now,
        requester: actor.requester,
        source: actor.source,
        checkAccount: (region: string) => checkAccount(aws.sts(region), config.aws.accountAllowlist).then(() => undefined),
      });
    },
  });
  return {
    config,
    store,
    aws,
    engine,
    commands,
    audit,
    artifacts,
    async close(graceMs?: number) {
      await engine.stop(graceMs);
      aws.destroy();
      if (!opts.store) await store.close();
    },
  };
}
