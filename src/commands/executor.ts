// Carries out a parsed Command for whichever front asked (Atlantis' command runner): the one place
// that decides what a verb does, so Slack, GitHub and the CLI can never disagree. It is also the
// read side every front uses (RunView, the board, the event feed): fronts depend on this and on
// nothing below it.
import type { Config } from '../config/index.ts';
import { createPrices, type Prices } from '../cost/prices.ts';
import { assetsOfRun, type RunAssetLine } from '../audit/run-assets.ts';
import type { EnvLock } from '../domain/lock.ts';
import { isFinished, type Requester, type Run, type RunEvent, type RunState, type Source } from '../domain/run.ts';
import { ConflictError, NotFoundError, PermissionError, UserError } from '../errors.ts';
import type { Engine, Recovered } from '../pipeline/engine.ts';
import type { EventListener } from '../pipeline/events.ts';
import type { Store } from '../store/index.ts';
import { BoardReader, type Board, type EnvironmentsBoard, type EnvView } from './board.ts';
import { helpText } from './help.ts';
import { RunViews, type RunView } from './run-view.ts';
import type { CostReportData, ImagesReport, OrphansReport, SpendReport, SweepReport } from './reports.ts';
import type { Command, LaunchCommand } from './types.ts';
import type { ArtifactStorage } from '../artifacts/storage.ts';
import { isSafeArtifactName } from '../artifacts/storage.ts';
import type { ArtifactLinks } from './artifact-links.ts';
import type { Readable } from 'node:stream';

export type { Board, EnvironmentsBoard, EnvView, OrphanSummary } from './board.ts';
export type { RunView, StepView } from './run-view.ts';
export type { Recovered } from '../pipeline/engine.ts';

/** Where a queued run stands: its place, an estimate of its wait (null: nothing to go by), and the person holding its environment. */
export interface QueueStatus {
  position: number;
  etaMs: number | null;
  heldBy: string | null;
}

/** Who asked. `admin` comes from the front's rules (Slack admins, the local operator of the CLI). */
export interface Actor {
  requester: Requester;
  source: Source;
  admin: boolean;
}

/** A report of the audit: the data (for --output json and chat blocks) and its plain-text form. */
export interface AuditReport<T> {
  data: T;
  text: string;
  /** What kept it from doing its whole job, one line each (empty when it did). */
  problems: string[];
}

/** The audit as the executor sees it (src/audit builds the reports). */
export interface Audit {
  /** `prefix`: how the asking front writes a command, for the text's hints (`stagebot sweep --reap --confirm`). */
  sweep(opts: { mode: 'dry-run' | 'reap'; requester: Requester; confirm?: boolean; prefix?: string }): Promise<AuditReport<SweepReport>>;
  cost(opts: { sinceMs: number | null; by: 'env' | 'user' | null }): Promise<AuditReport<CostReportData>>;
  orphans(opts: { reapedDays: number }): Promise<OrphansReport>;
  spend(opts: { days: number }): Promise<SpendReport>;
}

/** The image lifecycle as the executor sees it (src/images builds it). */
export interface Images {
  report(image: string | null): Promise<AuditReport<ImagesReport>>;
  /** `bake --dry-run`: EC2 DryRun calls for what the bake would do; creates nothing. */
  dryRunBake(image: string, actor: Actor): Promise<DryRunReport>;
}

/** What a run's assets cost together; what could not be priced is named, not guessed. */
export interface AssetsCost {
  usd: number;
  unknown: string[];
}

/** Which runs to list (the dashboard's filters); every field narrows. */
export interface RunQuery {
  env?: string;
  requester?: string;
  source?: Source;
  states?: readonly RunState[];
  since?: Date;
  before?: Date;
  /** At most this many, newest first (default 100, at most 500). */
  limit?: number;
}

/** `info`: a line to read (the warm pool's outlook) that never fails the dry run. */
export type DryRunReport = { ok: boolean; checks: { check: string; ok: boolean; detail: string; info?: true }[] };

export type CommandResult =
  | { kind: 'help'; text: string }
  | { kind: 'launched'; run: Run; position: number | null }
  | { kind: 'dry-run'; env: string; report: DryRunReport; verb?: 'launch' | 'bake' }
  | { kind: 'run'; view: RunView }
  | ({ kind: 'environments' } & EnvironmentsBoard)
  | { kind: 'assets'; runId: string; assets: RunAssetLine[]; cost: AssetsCost }
  | { kind: 'locked'; lock: EnvLock }
  | { kind: 'unlocked'; env: string; previous: EnvLock }
  | { kind: 'sweep'; report: AuditReport<SweepReport> }
  | { kind: 'cost'; report: AuditReport<CostReportData> }
  | { kind: 'images'; report: AuditReport<ImagesReport> };

/** What the executor reads and writes in the store (locks and the read side); the engine does the rest. */
export type ExecutorStore = Pick<Store, 'getRun' | 'getStep' | 'getSteps' | 'getAssets' | 'queuedRuns' | 'listLocks' | 'listRuns' | 'listSweeps' | 'claimLock' | 'getLock' | 'getEvents' | 'stepHistory' | 'listPoolMembers' | 'launchPathHistory'>;

/**
 * What the executor asks of the engine. The composition root may hand it one that is built on first
 * use (src/app/lazy-engine.ts), so that commands that read only the store never load the pipeline.
 */
export type ExecutorEngine = Pick<
  Engine,
  'config' | 'stepNames' | 'now' | 'launch' | 'bake' | 'promote' | 'cancel' | 'teardown' | 'extend' | 'retest' | 'keep' | 'unlock' | 'waitForRun' | 'flush' | 'on' | 'queueStatus' | 'drives' | 'recoverAbandoned'
>;

export interface ExecutorDeps {
  engine: ExecutorEngine;
  store: ExecutorStore;
  /** Default: the bundled table with the config's overrides (as the engine's default). */
  prices?: Prices;
  audit?: Audit;
  images?: Images;
  /** `launch --dry-run`: checks AWS permissions with DryRun calls and creates nothing. */
  dryRun?: (env: string, actor: Actor) => Promise<DryRunReport>;
  helpPrefix?: string;
  /**
   * How artifact links are signed, and where the files are kept (a process that serves no files,
   * the CLI, passes no storage); absent: no artifacts are listed or served.
   */
  artifacts?: { storage?: ArtifactStorage | undefined; links: ArtifactLinks } | undefined;
}

/** What a front adds to a command that its words do not say. */
export interface ExecuteOptions {
  /** Environments a pool launch may take (a repository's pool). */
  pool?: string[];
  /** Why a cancel was asked, shown with who asked ("the pull request was closed"). */
  reason?: string;
  /** A launch: at most one active run per key (a pull request's `/e2e`); a second gets ActiveRunExists. */
  concurrencyKey?: string;
}

/** An artifact a front may send: its content, or why not (HTTP status and one line). */
export type ArtifactFetch = { ok: true; name: string; size: number; body: Readable } | { ok: false; status: 401 | 403 | 404 | 410; reason: string };

export class CommandExecutor {
  private readonly deps: ExecutorDeps;
  #views: RunViews | null = null;
  #boards: BoardReader | null = null;

  constructor(deps: ExecutorDeps) {
    this.deps = deps;
  }

  private get prices(): Prices {
    return this.deps.prices ?? createPrices(this.deps.engine.config.pricing);
  }

  private get views(): RunViews {
    const { engine, store } = this.deps;
    this.#views ??= new RunViews(store, {
      config: engine.config,
      prices: this.prices,
      stepNames: () => engine.stepNames,
      now: () => engine.now(),
      links: this.deps.artifacts?.links,
    });
    return this.#views;
  }

  private get boards(): BoardReader {
    const { engine, store } = this.deps;
    this.#boards ??= new BoardReader(store, engine.config, () => engine.now(), this.prices);
    return this.#boards;
  }

  get config(): Config {
    return this.deps.engine.config;
  }

  /** The pipeline's step names in order. */
  get stepNames(): string[] {
    return this.deps.engine.stepNames;
  }

  now(): Date {
    return this.deps.engine.now();
  }

  /** A kept file's bytes (a screenshot to upload to chat), or null when it is not there or larger than `maxBytes`. */
  async artifactFile(runId: string, name: string, maxBytes: number): Promise<Buffer | null> {
    const storage = this.deps.artifacts?.storage;
    if (!storage || !isSafeArtifactName(runId, name)) return null;
    const file = await storage.open(runId, name);
    if (!file) return null;
    if (file.size > maxBytes) {
      file.body.destroy();
      return null;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of file.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * The artifact a request path names (what follows `/artifacts/`): served when its link is signed and
   * unexpired, or, for an unsigned path, when `mayReadUnsigned` (the dashboard's access rules) says so.
   */
  async artifact(rest: string, mayReadUnsigned: () => Promise<boolean>): Promise<ArtifactFetch> {
    const artifacts = this.deps.artifacts;
    if (!artifacts?.storage) return { ok: false, status: 404, reason: 'this stagebot keeps no artifacts' };
    const checked = artifacts.links.check(rest, this.now());
    if (checked.ok === false) return checked;
    if (checked.ok === 'unsigned' && !(await mayReadUnsigned())) {
      return { ok: false, status: 401, reason: 'sign in to the dashboard, or open the link from chat or the run page' };
    }
    if (!isSafeArtifactName(checked.runId, checked.name)) return { ok: false, status: 404, reason: 'no such artifact' };
    const file = await artifacts.storage.open(checked.runId, checked.name);
    if (!file) return { ok: false, status: 404, reason: `no artifact ${checked.name} for run ${checked.runId} (deleted after its retention period?)` };
    return { ok: true, name: checked.name, size: file.size, body: file.body };
  }

  async execute(cmd: Command, actor: Actor, extra: ExecuteOptions = {}): Promise<CommandResult> {
    const { engine, store } = this.deps;
    switch (cmd.verb) {
      case 'help':
        return { kind: 'help', text: helpText(cmd.topic, this.deps.helpPrefix ? { prefix: this.deps.helpPrefix } : {}) };
      case 'launch':
        return this.launch(cmd, actor, extra);
      case 'status': {
        if (cmd.run) return { kind: 'run', view: await this.view(cmd.run) };
        return { kind: 'environments', ...(await this.boards.environments(cmd.env)) };
      }
      case 'list':
        return { kind: 'environments', ...(await this.boards.environments(null)) };
      case 'cancel': {
        if (!cmd.run) throw new UserError('cancel needs a run id, e.g. `cancel stg4-20261121-a1b2c3`');
        await this.mayTouch(cmd.run, actor, 'cancel');
        await engine.cancel(cmd.run, actor.requester, extra.reason ?? null);
        return { kind: 'run', view: await this.view(cmd.run) };
      }
      case 'teardown': {
        await this.mayTouch(cmd.run, actor, 'tear down');
        await engine.teardown(cmd.run, actor.requester);
        return { kind: 'run', view: await this.view(cmd.run) };
      }
      case 'extend': {
        await this.mayTouch(cmd.run, actor, 'extend');
        await engine.extend(cmd.run, cmd.byMs, actor.requester);
        return { kind: 'run', view: await this.view(cmd.run) };
      }
      case 'retest': {
        if (!cmd.run) throw new UserError('retest needs a run id, e.g. `retest stg4-20261121-a1b2c3`');
        // A finished run is refused by the engine with what to do instead ("its environment is gone").
        await this.mayTouch(cmd.run, actor, 'retest', { finished: true });
        await engine.retest(cmd.run, { browsers: cmd.browsers, grep: cmd.grep }, actor.requester);
        return { kind: 'run', view: await this.view(cmd.run) };
      }
      case 'assets': {
        // Priced as the run's own report prices them (src/cost runCost), until deleted or now.
        const assets = await assetsOfRun(store, cmd.run, { config: engine.config, prices: this.prices, now: engine.now() });
        const cost: AssetsCost = { usd: 0, unknown: [] };
        for (const a of assets) {
          if (a.costUsd === null) cost.unknown.push(`${a.kind} ${a.id}`);
          else cost.usd += a.costUsd;
        }
        return { kind: 'assets', runId: cmd.run, assets, cost };
      }
      case 'lock': {
        const lock: EnvLock = { env: cmd.env, holder: actor.requester, holderKind: 'person', reason: cmd.reason, sticky: true, since: engine.now() };
        if (!(await store.claimLock(lock))) {
          const held = await store.getLock(cmd.env);
          throw new ConflictError(`${cmd.env} is already held by ${held?.holder ?? 'someone'}${held?.reason ? ` (${held.reason})` : ''}`);
        }
        return { kind: 'locked', lock: (await store.getLock(cmd.env)) ?? lock };
      }
      case 'unlock': {
        const held = await store.getLock(cmd.env);
        if (!held) throw new ConflictError(`${cmd.env} is not locked`);
        if (held.holderKind === 'run') throw new ConflictError(`${cmd.env} is in use by run ${held.holder}; cancel that run instead`);
        if (held.holder !== actor.requester && !actor.admin) {
          throw new PermissionError(`${cmd.env} was locked by ${held.holder}; only admins may unlock someone else's lock`);
        }
        // Through the engine: the next queued run of the environment starts at once.
        if (!(await engine.unlock(cmd.env, held.holder))) throw new ConflictError(`${cmd.env} changed hands; look again with \`list\``);
        return { kind: 'unlocked', env: cmd.env, previous: held };
      }
      case 'sweep': {
        if (cmd.mode === 'reap' && !actor.admin) throw new PermissionError('only admins may run `sweep --reap`; `sweep` alone shows what would be reaped');
        // --confirm lifts the per-sweep limit; the parser only allows it with --reap, so it is admins' too.
        return { kind: 'sweep', report: await this.audit().sweep({ mode: cmd.mode, requester: actor.requester, confirm: cmd.mode === 'reap' && cmd.confirm, prefix: this.deps.helpPrefix ?? '' }) };
      }
      case 'cost':
        return { kind: 'cost', report: await this.audit().cost({ sinceMs: cmd.sinceMs, by: cmd.by }) };
      case 'images':
        return { kind: 'images', report: await this.images().report(cmd.image) };
      case 'bake': {
        if (cmd.dryRun) return { kind: 'dry-run', env: `image:${cmd.image}`, verb: 'bake', report: await this.images().dryRunBake(cmd.image, actor) };
        const { run, position } = await engine.bake({ image: cmd.image, ref: cmd.ref, requester: actor.requester, source: actor.source });
        return { kind: 'launched', run, position };
      }
      case 'promote': {
        if (!actor.admin) throw new PermissionError(`only admins may promote an image; \`images ${cmd.image}\` shows what it has`);
        // A run of kind `promote`, followed as a bake is (the CLI in the foreground, Slack in a thread).
        const { run, position } = await engine.promote({ image: cmd.image, source: cmd.source, to: cmd.to, requester: actor.requester, source_: actor.source });
        return { kind: 'launched', run, position };
      }
    }
  }

  // ---- the read side --------------------------------------------------------------------------

  /** A run as every front shows it (NotFoundError for an unknown id). */
  view(run: Run | string): Promise<RunView> {
    return this.views.get(run);
  }

  /** The environments, the queue, the last day's runs and the last sweep's orphans. */
  board(): Promise<Board> {
    return this.boards.board();
  }

  getRun(runId: string): Promise<Run | null> {
    return this.deps.store.getRun(runId);
  }

  /** Runs matching `query`, newest first. */
  runs(query: RunQuery = {}): Promise<Run[]> {
    const { limit, ...filter } = query;
    return this.deps.store.listRuns({ ...filter, limit: Math.min(500, Math.max(1, limit ?? 100)) });
  }

  /** A run's stored timeline (every event but log lines), oldest first. */
  timeline(runId: string): Promise<RunEvent[]> {
    return this.deps.store.getEvents(runId);
  }

  /** The last sweep, the orphans it listed, and what was reaped in the last `reapedDays` days. */
  orphans(reapedDays = 30): Promise<OrphansReport> {
    return this.audit().orphans({ reapedDays });
  }

  /** The last `days` days' cost by environment, by requester and by day, runs and orphans apart. */
  spend(days = 30): Promise<SpendReport> {
    return this.audit().spend({ days });
  }

  /** Runs not finished yet (queued, running, tearing down or kept). */
  activeRuns(): Promise<Run[]> {
    return this.deps.store.listRuns({ states: ['queued', 'running', 'tearing_down', 'kept'] });
  }

  /** Every event of every run this process sees, as it happens; returns the unsubscribe. */
  onEvent(listener: EventListener): () => void {
    return this.deps.engine.on(listener);
  }

  // ---- run actions that are not verbs of the language -------------------------------------------

  /** Keeps a run's environment up `ms` after its tests (a chat button); a kept run gets `ms` more. */
  keep(runId: string, ms: number, by: string): Promise<Run> {
    return this.deps.engine.keep(runId, ms, by);
  }

  /** Cancels a run without the permission check of `cancel` (the operator's own Ctrl-C); `reason` says how. */
  interrupt(runId: string, by: string, reason: string | null = null): Promise<Run> {
    return this.deps.engine.cancel(runId, by, reason);
  }

  /** A queued run's place and estimated wait; null once it left the queue. */
  queueStatus(runId: string): Promise<QueueStatus | null> {
    return this.deps.engine.queueStatus(runId);
  }

  /** True while this process drives the run (a short-lived front then waits for its end). */
  drives(runId: string): boolean {
    return this.deps.engine.drives(runId);
  }

  /**
   * A short-lived front's duty when no server shares the store: finish what dead processes left (see
   * Engine.recoverAbandoned). `except`: a run the command itself is about to act on.
   */
  recoverAbandoned(except?: string): Promise<Recovered[]> {
    return this.deps.engine.recoverAbandoned(except);
  }

  /** Waits for a run's end (finished or kept) and for its events to be stored; returns the run. */
  async follow(runId: string): Promise<Run> {
    const run = await this.deps.engine.waitForRun(runId);
    await this.deps.engine.flush();
    return run;
  }

  private async launch(cmd: LaunchCommand, actor: Actor, extra: ExecuteOptions): Promise<CommandResult> {
    const { engine } = this.deps;
    const { pool } = extra;
    const config = engine.config;
    if (cmd.dryRun) {
      const env = cmd.env ?? (pool ?? config.pool)[0];
      if (!env) throw new UserError('no environment to check: name one, e.g. `launch stg1 --dry-run`');
      if (!this.deps.dryRun) throw new UserError('launch --dry-run is not available in this front');
      return { kind: 'dry-run', env, report: await this.deps.dryRun(env, actor) };
    }
    const keepMs = cmd.keepMs === 'default' ? config.runs.keepDefault : cmd.keepMs;
    const ami = cmd.ami ?? null;
    if (ami !== null) {
      if (!cmd.env) throw new UserError('--ami needs an environment: name one, e.g. `launch stg1 --ami=candidate`');
      const configured = config.environments[cmd.env]?.ami ?? '';
      if (ami === 'candidate' && !configured.startsWith('image:')) {
        throw new UserError(`--ami=candidate needs ${cmd.env}'s ami to name an image (image:NAME@CHANNEL); it is ${configured}. Give an AMI id instead: --ami=ami-…`);
      }
    }
    const { run, position } = await engine.launch({
      ...(ami !== null ? { ami } : {}),
      env: cmd.env,
      ...(pool ? { pool } : {}),
      browsers: cmd.browsers ?? config.defaultBrowsers,
      keepMs,
      ref: cmd.ref,
      requester: actor.requester,
      source: actor.source,
      concurrencyKey: extra.concurrencyKey ?? null,
    });
    return { kind: 'launched', run, position };
  }

  /** Anyone may act on their own runs; someone else's only an admin. */
  private async mayTouch(runId: string, actor: Actor, what: string, allow: { finished?: boolean } = {}): Promise<void> {
    const run = await this.deps.store.getRun(runId);
    if (!run) throw new NotFoundError(`no run ${runId}; \`list\` shows the current ones`);
    if (isFinished(run.state) && !allow.finished) throw new ConflictError(`run ${runId} already ${run.state}`);
    if (run.requester !== actor.requester && !actor.admin) {
      throw new PermissionError(`run ${runId} was started by ${run.requester}; only admins may ${what} someone else's run`);
    }
  }

  private images(): Images {
    if (!this.deps.images) throw new UserError('images are not available in this process');
    return this.deps.images;
  }

  private audit(): Audit {
    if (!this.deps.audit) throw new UserError('the audit is not configured in this process');
    return this.deps.audit;
  }
}
