// The one read model of a run (RunView) that every front renders: Slack's thread, GitHub's check run
// and comment, the CLI's status and final document, the web. Built from the store on every call, so
// any replica shows the same whatever events it did or did not hear; one read of each table.
import { imageRunStepNames } from '../domain/image.ts';
import { REPLENISH_STEP_NAMES } from '../domain/pool.ts';
import type { Config } from '../config/index.ts';
import type { Prices } from '../cost/prices.ts';
import type { Asset } from '../domain/asset.ts';
import type { EnvLock } from '../domain/lock.ts';
import type { Run, Step } from '../domain/run.ts';
import { NotFoundError } from '../errors.ts';
import type { BrowserOutcome, RunCost, StepTiming } from '../pipeline/events.ts';
import { summarize, type DeadManSwitchView } from '../pipeline/run-summary.ts';
import type { StepName, StepOutputsByName } from '../pipeline/step-outputs.ts';
import type { Store } from '../store/index.ts';
import { estimateLaunchCost, type CostEstimate } from '../cost/launch-estimate.ts';
import { forecastQueue } from '../pipeline/queue-forecast.ts';
import { againstUsual, loadStepHistory, typicalRunMs } from '../pipeline/step-history.ts';
import { publicBaseUrl, type ArtifactLinks } from './artifact-links.ts';
import { artifactsView, type BrowserArtifactsView } from './artifacts-view.ts';

/** One step as it stands, with its outputs typed by its name. */
export type StepView = {
  [S in StepName]: { name: S; state: Step['state']; startedAt: Date | null; finishedAt: Date | null; outputs: Partial<StepOutputsByName[S]>; error: string | null };
}[StepName];

export interface RunView {
  run: Run;
  /** The run's recorded steps, in pipeline order (a step that has not started is not here: see timings). */
  steps: StepView[];
  /** Every step of the pipeline in order, with its state (pending until it starts). */
  timings: StepTiming[];
  /** When each started step started, for "running for 1m12s". */
  startedAt: ReadonlyMap<string, Date>;
  /** Failed steps' one-line errors, in pipeline order (a cancelled step did not fail: it is not here). */
  stepErrors: { step: string; error: string }[];
  /** A cancelled run: who cancelled it (a requester, for a mention) and why, when they said. */
  cancelled: { by: string; reason: string | null } | null;
  browsers: BrowserOutcome[];
  cost: RunCost;
  /** When the host powers itself off unless stagebot moves it, while the run is up; null: not armed. */
  deadManSwitch: DeadManSwitchView | null;
  assets: Asset[];
  /** 1-based place in the queue while queued. */
  queuePosition: number | null;
  /** While queued: ms from the view's `now` until it should start, by step history (null: no telling). */
  queueEtaMs?: number | null;
  /**
   * What the run was expected to cost when asked for: its environment's hourly rate times a usual run
   * (step history of the environment, this run left out) plus its keep. Null while a pool launch has no
   * environment and its pool names none.
   */
  estimate?: CostEstimate | null;
  /**
   * While queued: who holds the environment(s) it waits for — a person's lock (holder, reason, since)
   * or another run — so every front can say why it waits, not only that it does.
   */
  waitingFor: EnvLock[];
  /** The environments a pool launch may take (for a queued run without one). */
  pool: string[];
  /** Where to look further: each browser's Playwright report (the configured reportUrl, else the kept HTML report). */
  links: { reports: { browser: string; url: string }[]; runPage: string | null };
  /**
   * Per browser, what was kept of its Playwright output: reports, traces, screenshots and videos, each
   * with its kind, size and a signed link; the failed tests with their own screenshot and trace links.
   */
  artifacts: BrowserArtifactsView[];
  now: Date;
}

export type RunViewStore = Pick<Store, 'getRun' | 'getSteps' | 'getAssets' | 'queuedRuns' | 'listLocks' | 'listRuns' | 'stepHistory'>;

export interface RunViewFacts {
  config: Config;
  prices: Prices;
  /** The pipeline's step names in order. */
  stepNames(): readonly string[];
  now(): Date;
  /** Signs artifact links; absent: artifacts are listed without links. */
  links?: ArtifactLinks | undefined;
}

export class RunViews {
  private readonly store: RunViewStore;
  private readonly facts: RunViewFacts;

  constructor(store: RunViewStore, facts: RunViewFacts) {
    this.store = store;
    this.facts = facts;
  }

  /** The run's view; a run id is looked up first (NotFoundError when the store knows none). */
  async get(runOrId: Run | string): Promise<RunView> {
    const run = typeof runOrId === 'string' ? await this.store.getRun(runOrId) : runOrId;
    if (!run) throw new NotFoundError(`no run ${String(runOrId)}; \`list\` shows the current ones`);
    const queuedNow = run.state === 'queued';
    const [steps, assets, queued, locks] = await Promise.all([
      this.store.getSteps(run.id),
      this.store.getAssets(run.id),
      queuedNow ? this.store.queuedRuns() : Promise.resolve([]),
      queuedNow ? this.store.listLocks() : Promise.resolve([]),
    ]);
    const now = this.facts.now();
    const names = imageRunStepNames(run.kind) ?? (run.kind === 'replenish' ? REPLENISH_STEP_NAMES : this.facts.stepNames());
    const summary = summarize({ config: this.facts.config, prices: this.facts.prices, stepNames: names, now }, run, steps, assets);
    const order = new Map(names.map((name, i) => [name, i]));
    const inOrder = [...steps].sort((a, b) => (order.get(a.name) ?? 99) - (order.get(b.name) ?? 99));
    const index = queued.findIndex((r) => r.id === run.id);
    const pool = run.options.pool ?? this.facts.config.pool;
    const envName = run.env ?? pool.find((e) => this.facts.config.environments[e]) ?? null;
    const envConfig = envName ? this.facts.config.environments[envName] : undefined;
    const history = envName ? await loadStepHistory(this.store, envName, run.id) : null;
    const estimate = envConfig && history ? estimateLaunchCost(this.facts.prices, envConfig, typicalRunMs(history, names), run.options.keepMs ?? 0) : null;
    const queueEtaMs = queuedNow ? ((await forecastQueue(this.store, this.facts.config, names, now)).etas.get(run.id) ?? null) : null;
    const timings = history ? summary.timings.map((t) => (history.p50.has(t.step) ? { ...t, ...againstUsual(history, t.step, t.durationMs) } : t)) : summary.timings;
    const wanted = new Set(run.env ? [run.env] : pool);
    const artifacts = this.facts.links ? artifactsView(run.id, summary.browsers, this.facts.links, this.facts.config.artifacts.retention, now) : [];
    const keptReport = (browser: string) => artifacts.find((a) => a.browser === browser && a.items.some((i) => i.kind === 'report-html'))?.report ?? null;
    return {
      run,
      steps: inOrder.map((s) => ({ name: s.name, state: s.state, startedAt: s.startedAt, finishedAt: s.finishedAt, outputs: s.outputs, error: s.error }) as StepView),
      timings,
      startedAt: new Map(steps.flatMap((s) => (s.startedAt ? [[s.name, s.startedAt] as const] : []))),
      stepErrors: inOrder.filter((s) => s.state === 'failed' && s.error).map((s) => ({ step: s.name, error: s.error ?? '' })),
      cancelled: run.state === 'cancelled' && run.cancelRequestedBy ? { by: run.cancelRequestedBy, reason: run.cancelReason } : null,
      browsers: summary.browsers,
      cost: summary.cost,
      deadManSwitch: summary.deadManSwitch,
      assets,
      queuePosition: index >= 0 ? index + 1 : null,
      queueEtaMs,
      estimate,
      waitingFor: locks.filter((l) => wanted.has(l.env) && l.holder !== run.id),
      pool,
      links: {
        // The dashboard's page of the run, where people who are signed in find everything above.
        runPage: publicBaseUrl(this.facts.config) ? `${publicBaseUrl(this.facts.config)}/runs/${encodeURIComponent(run.id)}` : null,
        reports: summary.browsers.flatMap((b) => {
          const url = b.reportUrl ?? keptReport(b.browser);
          return url ? [{ browser: b.browser, url }] : [];
        }),
      },
      artifacts,
      now,
    };
  }
}
