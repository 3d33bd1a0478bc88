// What the engine shares with the drivers of its runs.
import type { AwsClients } from '../aws/clients.ts';
import type { Config } from '../config/index.ts';
import type { Clock } from '../domain/clock.ts';
import type { Run } from '../domain/run.ts';
import type { ManifestBackend } from '../images/manifest.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Prices } from '../cost/prices.ts';
import type { Store } from '../store/index.ts';
import type { RunEventBody } from './events.ts';
import type { Pipeline } from './pipeline.ts';
import type { StepRunnerDeps } from './step-runner.ts';
import type { TestRunner } from './test-runners/types.ts';

export interface EngineServices {
  config: Config;
  store: Store;
  aws: AwsClients;
  clock: Clock;
  logger: Logger;
  metrics: Metrics | undefined;
  prices: Prices;
  ownerId: string;
  pipeline: Pipeline;
  testRunner: TestRunner;
  /** The image manifest (a bake's candidate, a launch's image:NAME@CHANNEL); undefined: the configured file. */
  manifest: ManifestBackend | undefined;
  stepRunnerDeps: StepRunnerDeps;
  /** Refuses to go on unless the credentials belong to an allowed account (before any mutating call). */
  checkAccount(region: string, signal: AbortSignal): Promise<void>;
  /**
   * Moves the run's expiry where it lives outside the store (keep, extend): its host's dead man's
   * switch, then the `stagebot:expires-at` tag of its live assets. Throws, having moved nothing,
   * when the switch would fire before `until` and cannot be moved.
   */
  moveExpiry(run: Run, until: Date, signal?: AbortSignal, aws?: AwsClients): Promise<void>;
  /** The operator's STAGEBOT_HANDOVER_KEY: seals a handed-over run's secrets; null when not set. */
  handoverKey: string | null;
  /** `server` for `serve` (a background loop), `cli` for a short-lived command. */
  role: 'server' | 'cli';
  /** The run's in-process secrets (an ephemeral key): kept while the run lives, stored only sealed for a handover. */
  secretsOf(runId: string): Map<string, string>;
  emit(runId: string, body: RunEventBody): void;
  /** A launch claimed a warm pool member: the replenish job looks at the pool now, not at its next tick. */
  wakePool?(): void;
  emitLog(runId: string, step: string, line: string): void;
}
