// Carries out a parsed Command for whichever front asked (Atlantis' command runner): the one place
// that decides what a verb does, so Slack, GitHub and the CLI can never disagree.
import type { Command, LaunchCommand } from '../commands/index.ts';
import { helpText } from '../commands/index.ts';
import type { Asset } from '../domain/asset.ts';
import type { EnvLock } from '../domain/lock.ts';
import { isFinished, type Requester, type Run, type Source } from '../domain/run.ts';
import { ConflictError, NotFoundError, PermissionError, UserError } from '../errors.ts';
import type { Engine } from './engine.ts';
import type { StepTiming, RunCost, BrowserOutcome } from './events.ts';
import type { DeadManSwitchView } from './run-summary.ts';

/** Who asked. `admin` comes from the front's rules (Slack admins, the local operator of the CLI). */
export interface Actor {
  requester: Requester;
  source: Source;
  admin: boolean;
}

export interface RunView {
  run: Run;
  timings: StepTiming[];
  browsers: BrowserOutcome[];
  cost: RunCost;
  assets: Asset[];
  deadManSwitch: DeadManSwitchView | null;
}

export interface EnvView {
  env: string;
  region: string;
  lock: EnvLock | null;
  run: Run | null;
}

/** A report of the audit: the data (for --output json and chat blocks) and its plain-text form. */
export interface AuditReport {
  data: unknown;
  text: string;
}

/** The audit as the command runner sees it (src/audit builds the reports). */
export interface Audit {
  sweep(opts: { mode: 'dry-run' | 'reap'; requester: Requester; confirm?: boolean }): Promise<AuditReport>;
  cost(opts: { sinceMs: number | null; by: 'env' | 'user' | null }): Promise<AuditReport>;
}

export type DryRunReport = { ok: boolean; checks: { check: string; ok: boolean; detail: string }[] };

export type CommandResult =
  | { kind: 'help'; text: string }
  | { kind: 'launched'; run: Run; position: number | null }
  | { kind: 'dry-run'; env: string; report: DryRunReport }
  | { kind: 'run'; view: RunView }
  | { kind: 'environments'; environments: EnvView[]; queue: Run[] }
  | { kind: 'assets'; runId: string; assets: Asset[] }
  | { kind: 'locked'; lock: EnvLock }
  | { kind: 'unlocked'; env: string; previous: EnvLock }
  | { kind: 'sweep'; report: AuditReport }
  | { kind: 'cost'; report: AuditReport };

export interface CommandRunnerDeps {
  engine: Engine;
  audit?: Audit;
  /** `launch --dry-run`: checks AWS permissions with DryRun calls and creates nothing. */
  dryRun?: (env: string, actor: Actor) => Promise<DryRunReport>;
  helpPrefix?: string;
}

export class CommandRunner {
  private readonly deps: CommandRunnerDeps;

  constructor(deps: CommandRunnerDeps) {
    this.deps = deps;
  }

  async execute(cmd: Command, actor: Actor, extra: { pool?: string[] } = {}): Promise<CommandResult> {
    const { engine } = this.deps;
    const store = engine.store;
    switch (cmd.verb) {
      case 'help':
        return { kind: 'help', text: helpText(cmd.topic, this.deps.helpPrefix ? { prefix: this.deps.helpPrefix } : {}) };
      case 'launch':
        return this.launch(cmd, actor, extra.pool);
      case 'status': {
        if (cmd.run) return { kind: 'run', view: await this.view(cmd.run) };
        return this.environments(cmd.env);
      }
      case 'list':
        return this.environments(null);
      case 'cancel': {
        if (!cmd.run) throw new UserError('cancel needs a run id, e.g. `cancel stg4-20261121-a1b2c3`');
        await this.mayTouch(cmd.run, actor, 'cancel');
        await engine.cancel(cmd.run, actor.requester);
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
      case 'assets': {
        if (!(await store.getRun(cmd.run))) throw new NotFoundError(`no run ${cmd.run}; \`list\` shows the current ones`);
        return { kind: 'assets', runId: cmd.run, assets: await store.getAssets(cmd.run) };
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
        if (!(await store.releaseLock(cmd.env, held.holder))) throw new ConflictError(`${cmd.env} changed hands; look again with \`list\``);
        return { kind: 'unlocked', env: cmd.env, previous: held };
      }
      case 'sweep': {
        if (cmd.mode === 'reap' && !actor.admin) throw new PermissionError('only admins may run `sweep --reap`; `sweep` alone shows what would be reaped');
        // --confirm lifts the per-sweep limit; the parser only allows it with --reap, so it is admins' too.
        return { kind: 'sweep', report: await this.audit().sweep({ mode: cmd.mode, requester: actor.requester, confirm: cmd.mode === 'reap' && cmd.confirm }) };
      }
      case 'cost':
        return { kind: 'cost', report: await this.audit().cost({ sinceMs: cmd.sinceMs, by: cmd.by }) };
    }
  }

  private async launch(cmd: LaunchCommand, actor: Actor, pool: string[] | undefined): Promise<CommandResult> {
    const { engine } = this.deps;
    const config = engine.config;
    if (cmd.dryRun) {
      const env = cmd.env ?? (pool ?? config.pool)[0];
      if (!env) throw new UserError('no environment to check: name one, e.g. `launch stg1 --dry-run`');
      if (!this.deps.dryRun) throw new UserError('launch --dry-run is not available in this front');
      return { kind: 'dry-run', env, report: await this.deps.dryRun(env, actor) };
    }
    const keepMs = cmd.keepMs === 'default' ? config.runs.keepDefault : cmd.keepMs;
    const { run, position } = await engine.launch({
      env: cmd.env,
      ...(pool ? { pool } : {}),
      browsers: cmd.browsers ?? config.defaultBrowsers,
      keepMs,
      ref: cmd.ref,
      requester: actor.requester,
      source: actor.source,
    });
    return { kind: 'launched', run, position };
  }

  private async environments(only: string | null): Promise<CommandResult> {
    const { engine } = this.deps;
    const store = engine.store;
    const locks = new Map((await store.listLocks()).map((l) => [l.env, l]));
    const active = await store.listRuns({ states: ['running', 'tearing_down', 'kept'] });
    const environments: EnvView[] = Object.values(engine.config.environments)
      .filter((e) => only === null || e.name === only)
      .map((e) => ({ env: e.name, region: e.region, lock: locks.get(e.name) ?? null, run: active.find((r) => r.env === e.name) ?? null }));
    return { kind: 'environments', environments, queue: await store.queuedRuns() };
  }

  private async view(runId: string): Promise<RunView> {
    const { engine } = this.deps;
    const run = await engine.store.getRun(runId);
    if (!run) throw new NotFoundError(`no run ${runId}; \`list\` shows the current ones`);
    const summary = await engine.summarize(run);
    return { run, ...summary, assets: await engine.store.getAssets(runId) };
  }

  /** Anyone may act on their own runs; someone else's only an admin. */
  private async mayTouch(runId: string, actor: Actor, what: string): Promise<void> {
    const run = await this.deps.engine.store.getRun(runId);
    if (!run) throw new NotFoundError(`no run ${runId}; \`list\` shows the current ones`);
    if (isFinished(run.state)) throw new ConflictError(`run ${runId} already ${run.state}`);
    if (run.requester !== actor.requester && !actor.admin) {
      throw new PermissionError(`run ${runId} was started by ${run.requester}; only admins may ${what} someone else's run`);
    }
  }

  private audit(): Audit {
    if (!this.deps.audit) throw new UserError('the audit is not configured in this process');
    return this.deps.audit;
  }
}

