// What acts on AWS, built from the typed config: the AWS clients, the engine (with its test runner),
// the audit, and `launch --dry-run`. The server builds it at start (open-services.ts); a CLI command
// builds it the first time it needs any of it (open-commands.ts), so that the commands that only read
// the store load neither the AWS SDK nor the pipeline.
import type { AwsClients } from '../aws/clients.ts';
import { createAwsClients } from '../aws/clients.ts';
import { checkAccount } from '../aws/account.ts';
import { createAudit, type AuditService } from '../audit/service.ts';
import type { Actor, DryRunReport } from '../commands/executor.ts';
import type { Config } from '../config/index.ts';
import type { Prices } from '../cost/prices.ts';
import type { Clock } from '../domain/clock.ts';
import { newRunId } from '../domain/run-id.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { dryRunLaunch } from '../pipeline/dry-run.ts';
import { Engine } from '../pipeline/engine.ts';
import { handoverKeyFrom } from '../pipeline/handover-seal.ts';
import { warmPathOutlook } from '../pipeline/pool-readiness.ts';
import { createTestRunner } from '../pipeline/test-runners/create-runner.ts';
import type { TestRunner } from '../pipeline/test-runners/types.ts';
import type { Store } from '../store/index.ts';
import { githubSettings } from '../bot/github/settings.ts';
import { LocalArtifactDir } from '../artifacts/local-dir.ts';
import { openArtifactStorage } from '../artifacts/open.ts';
import type { ArtifactStorage } from '../artifacts/storage.ts';
import { ArtifactKeeper } from '../pipeline/test-runners/artifact-keeper.ts';
import { createImagesService, type ImagesService } from '../images/service.ts';
import { systemClock } from '../domain/clock.ts';
import type { ManifestBackend } from '../images/manifest.ts';
import { imageManifestFor } from './image-manifest.ts';

export interface CoreOptions {
  config: Config;
  store: Store;
  prices: Prices;
  logger: Logger;
  metrics?: Metrics | undefined;
  env: NodeJS.ProcessEnv;
  /** false for the CLI: drive only what this process launched. */
  background: boolean;
  /** Tests inject the fake cloud, a clock and a test runner. */
  aws?: AwsClients | undefined;
  clock?: Clock | undefined;
  testRunner?: TestRunner | undefined;
  /** Tests inject a storage (default: the configured directory or bucket). */
  artifacts?: ArtifactStorage | undefined;
  /** Tests inject a manifest backend (default: imageManifest's file, or its GitHub repository through the App). */
  manifest?: ManifestBackend | undefined;
}

export interface Core {
  aws: AwsClients;
  engine: Engine;
  audit: AuditService;
  /** The image manifest, bakes and promotions. */
  images: ImagesService;
  /** Where test artifacts are kept. */
  artifacts: ArtifactStorage;
  /** `launch --dry-run`: checks AWS permissions with DryRun calls and creates nothing. */
  dryRun(env: string, actor: Actor): Promise<DryRunReport>;
  /** Stops the engine (runs in flight get `graceMs`, see Engine.stop), then closes the AWS clients. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The GitHub API for the github-workflow runner: the GitHub App's installation token on the
 * runner's repository when the App is configured, else GITHUB_TOKEN. Probot loads only for the former.
 */
async function githubApi(config: Config, env: NodeJS.ProcessEnv, logger: Logger) {
  const runner = config.tests.runner;
  const settings = githubSettings(env);
  const baseUrl = env.GITHUB_API_URL ?? config.github?.apiUrl ?? 'https://api.github.com';
  if (runner.kind === 'github-workflow' && settings.enabled) {
    const { createProbot, githubApiUrl } = await import('../bot/github/probot.ts');
    const { installationTokenFor } = await import('./github-installation-token.ts');
    const apiUrl = githubApiUrl(settings, config.github?.apiUrl);
    const probot = createProbot(settings, { apiUrl, logger });
    return { baseUrl: apiUrl ?? baseUrl, getToken: installationTokenFor(probot, runner.repository) };
  }
  const token = env.GITHUB_TOKEN;
  if (!token) return undefined;
  return { baseUrl, getToken: async () => token };
}

/** The AWS clients the config asks for (S3 path-style addressing for the artifact bucket when set). */
export function awsClientsFor(config: Config): AwsClients {
  return createAwsClients({ s3ForcePathStyle: config.artifacts.s3?.forcePathStyle ?? false });
}

/** The configured artifact storage: the local directory, or the bucket (through `aws`). */
export function artifactStorage(config: Config, aws: AwsClients, injected?: ArtifactStorage): ArtifactStorage {
  return injected ?? openArtifactStorage(config, aws);
}

/** The engine, with the configured test runner (which may need the GitHub App) keeping its artifacts in `artifacts`. */
export async function buildEngine(opts: CoreOptions & { aws: AwsClients; artifacts: ArtifactStorage; manifest: ManifestBackend }): Promise<Engine> {
  const { config, store, aws, prices, logger, metrics, clock } = opts;
  const keeper = new ArtifactKeeper({ storage: opts.artifacts, maxRunBytes: config.artifacts.maxRunSize });
  const testRunner = opts.testRunner ?? createTestRunner(config.tests, { github: await githubApi(config, opts.env, logger), artifacts: keeper });
  return new Engine({
    config,
    store,
    aws,
    logger,
    testRunner,
    prices,
    manifest: opts.manifest,
    background: opts.background,
    // Seals a handed-over run's ephemeral key for the replica that resumes it (README, Deployment).
    handoverKey: handoverKeyFrom(opts.env),
    ...(metrics ? { metrics } : {}),
    ...(clock ? { clock } : {}),
  });
}

/** The audit: sweeps, reaps and cost reports. It needs no engine and no test runner. */
export function buildAudit(opts: Pick<CoreOptions, 'config' | 'store' | 'prices' | 'logger' | 'metrics' | 'clock'> & { aws: AwsClients; artifacts: ArtifactStorage; manifest: ManifestBackend }): AuditService {
  const { config, store, aws, prices, logger, metrics, clock, artifacts } = opts;
  return createAudit({
    config,
    store,
    aws,
    prices,
    logger,
    manifest: opts.manifest,
    // A bucket's objects are an asset kind the sweeper lists; a local directory is pruned by the reap.
    ...(artifacts instanceof LocalArtifactDir ? { localArtifacts: artifacts } : {}),
    ...(metrics ? { metrics } : {}),
    ...(clock ? { clock } : {}),
  });
}

/** The image lifecycle: the manifest (and its history in the store), bakes and promotions. */
export function buildImages(opts: Pick<CoreOptions, 'config' | 'store' | 'prices' | 'clock'> & { aws: AwsClients; manifest: ManifestBackend }): ImagesService {
  return createImagesService({ config: opts.config, store: opts.store, aws: opts.aws, prices: opts.prices, clock: opts.clock ?? systemClock, manifest: opts.manifest });
}

/** `launch --dry-run`: DryRun calls for what a launch would do, and whether it would take the warm path (the store's pool); creates nothing. */
export function dryRunner(
  config: Config,
  aws: AwsClients,
  now: () => Date,
  pool: { store: Pick<Store, 'listPoolMembers'>; env: NodeJS.ProcessEnv; manifest?: ManifestBackend | undefined },
): Core['dryRun'] {
  const { store, manifest } = pool;
  // An engine without STAGEBOT_HANDOVER_KEY (or with an unusable one, which it refuses) takes no member with a sealed key.
  let handoverKey = false;
  try {
    handoverKey = handoverKeyFrom(pool.env) !== null;
  } catch {
    handoverKey = false;
  }
  return async (envName, actor) => {
    const environment = config.environments[envName];
    if (!environment) throw new Error(`unknown environment ${envName}`);
    const at = now();
    return dryRunLaunch({
      config,
      aws,
      env: environment,
      runId: newRunId(envName, at),
      now: at,
      requester: actor.requester,
      source: actor.source,
      checkAccount: (region: string) => checkAccount(aws.sts(region), config.aws.accountAllowlist).then(() => undefined),
      warmPath: (env, at) => warmPathOutlook(store, config, env, at, manifest),
      handoverKey,
      ...(manifest ? { manifest } : {}),
    });
  };
}

export { createAwsClients, imageManifestFor };

/** Everything at once (the server). */
export async function buildCore(opts: CoreOptions): Promise<Core> {
  const aws = opts.aws ?? awsClientsFor(opts.config);
  const artifacts = artifactStorage(opts.config, aws, opts.artifacts);
  const manifest = opts.manifest ?? (await imageManifestFor(opts.config, opts.store, opts.env, opts.logger));
  const engine = await buildEngine({ ...opts, aws, artifacts, manifest });
  return {
    aws,
    engine,
    audit: buildAudit({ ...opts, aws, artifacts, manifest }),
    images: buildImages({ ...opts, aws, manifest }),
    artifacts,
    dryRun: dryRunner(opts.config, aws, () => engine.now(), { store: opts.store, env: opts.env, manifest }),
    async close(graceMs) {
      await engine.stop(graceMs);
      aws.destroy();
    },
  };
}
