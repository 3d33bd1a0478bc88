// Builds what an engine shares with the drivers of its runs from the engine's options.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { AwsClients } from '../../aws/clients.ts';
import { checkAccount } from '../../aws/account.ts';
import type { Config } from '../../config/index.ts';
import { systemClock, type Clock } from '../../domain/clock.ts';
import { createPrices, type Prices } from '../../cost/prices.ts';
import type { ManifestBackend } from '../../images/manifest.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Metrics } from '../../observability/metrics.ts';
import type { Store } from '../../store/index.ts';
import type { EngineServices } from '../engine-services.ts';
import type { RunEventBody } from '../events.ts';
import { moveSwitch } from '../move-switch.ts';
import type { Pipeline } from '../pipeline.ts';
import { retagRunExpiry } from '../retag.ts';
import { defaultPipeline } from '../steps/index.ts';
import type { TestRunner } from '../test-runners/types.ts';

/** Bound on moving a dead man's switch from a chat command (connect, re-arm): a dead host must not hang the reply. */
const MOVE_SWITCH_TIMEOUT_MS = 90_000;

export interface EngineOptions {
  config: Config;
  store: Store;
  aws: AwsClients;
  logger: Logger;
  testRunner: TestRunner;
  /** The image manifest the composition root built (src/app/image-manifest.ts); default the configured file. */
  manifest?: ManifestBackend | undefined;
  metrics?: Metrics;
  clock?: Clock;
  prices?: Prices;
  pipeline?: Pipeline;
  ownerId?: string;
  /** Tests throw RunAbandoned here to simulate a crash at a step boundary. */
  beforeStep?: (runId: string, step: string) => void | Promise<void>;
  /** Replaces the STS account check (tests of other things). */
  checkAccount?: (region: string) => Promise<void>;
  /**
   * false for a short-lived engine (the CLI): it drives only the runs it launched, and never adopts
   * or starts other runs that would die with it.
   */
  background?: boolean;
  /** How often the background loop looks for work (ms). */
  tickMs?: number;
  /** The operator's STAGEBOT_HANDOVER_KEY (checked by handoverKeyFrom): seals ephemeral keys across a handover. */
  handoverKey?: string | null;
}

/** What the services need from the engine itself: the in-process parts that exist once it is built. */
export interface EngineHooks {
  secretsOf(runId: string): Map<string, string>;
  emit(runId: string, body: RunEventBody): void;
  emitLog(runId: string, step: string, line: string): void;
  /** Wakes the warm pool's replenish job (a launch claimed a member). */
  wakePool?(): void;
}

export function engineServices(opts: EngineOptions, hooks: EngineHooks): EngineServices {
  const clock = opts.clock ?? systemClock;
  const svc: EngineServices = {
    config: opts.config,
    store: opts.store,
    aws: opts.aws,
    clock,
    logger: opts.logger,
    metrics: opts.metrics,
    prices: opts.prices ?? createPrices(opts.config.pricing),
    ownerId: opts.ownerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    role: (opts.background ?? true) ? 'server' : 'cli',
    handoverKey: opts.handoverKey ?? null,
    pipeline: opts.pipeline ?? defaultPipeline(),
    testRunner: opts.testRunner,
    manifest: opts.manifest,
    stepRunnerDeps: {
      timeoutMs: (step) => (opts.config.runs.stepTimeouts as Record<string, number>)[step] ?? opts.config.runs.timeout,
      beforeStep: opts.beforeStep,
      onFinished: (step, outcome, ms) => opts.metrics?.stepDuration.observe({ step, outcome }, ms / 1000),
    },
    // STS is asked once per client (aws/account.ts caches the identity).
    checkAccount: async (region) => {
      if (opts.checkAccount) return opts.checkAccount(region);
      await checkAccount(opts.aws.sts(region), opts.config.aws.accountAllowlist);
    },
    moveExpiry: async (run, until, signal, aws) => {
      await moveSwitch(svc, run, until, svc.secretsOf(run.id), signal ?? AbortSignal.timeout(MOVE_SWITCH_TIMEOUT_MS));
      await retagRunExpiry({ store: svc.store, aws: aws ?? svc.aws }, run, until);
    },
    secretsOf: (runId) => hooks.secretsOf(runId),
    emit: (runId, body) => hooks.emit(runId, body),
    emitLog: (runId, step, line) => hooks.emitLog(runId, step, line),
    wakePool: () => hooks.wakePool?.(),
  };
  return svc;
}
