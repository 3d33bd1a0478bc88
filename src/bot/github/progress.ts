// Keeps each GitHub run's check run, living comment and reaction in step with the run. Engine
// events only say "this run changed"; what is shown is the run's RunView, read back from the store
// (run-view.ts), and refreshes are coalesced per run, so a burst of step events costs a couple of
// API calls.
import { isFinished } from '../../domain/run.ts';
import type { EngineEvent } from '../../commands/events.ts';
import type { Logger } from '../../observability/logger.ts';
import { WindowedRefresher } from './windowed-refresher.ts';
import { updateCheckRun, updateComment, type GithubClient } from './github-api.ts';
import type { GithubCommands, GithubMemory } from './ports.ts';
import { reactionFor, replaceReaction } from './reactions.ts';
import { renderCheckRun } from './render-check-run.ts';
import { renderComment } from './render-comment.ts';
import { testsPassed } from './render-parts.ts';
import { getRunLink, saveRunLink, type RunLink } from './run-links.ts';
import { loadRunView } from './run-view.ts';

export interface ProgressDeps {
  commands: Pick<GithubCommands, 'onEvent' | 'getRun' | 'view' | 'now'>;
  memory: Pick<GithubMemory, 'kvGet' | 'kvSet'>;
  logger: Logger;
  /** An Octokit authenticated as the installation. */
  client: (installationId: number) => Promise<GithubClient>;
  /** The coalescing window per run. */
  windowMs: number;
}

/** Runs not from GitHub, remembered so their events cost no store lookups; bounded. */
const MAX_FOREIGN = 10_000;

export class RunProgress {
  readonly #deps: ProgressDeps;
  readonly #refresher: WindowedRefresher;
  readonly #links = new Map<string, RunLink>();
  readonly #foreign = new Set<string>();
  /** What GitHub last accepted per run, to skip writes that would change nothing. */
  readonly #sent = new Map<string, { check: string; comment: string }>();
  /** Runs last shown as queued: their position moves when any run starts or ends. */
  readonly #queued = new Set<string>();
  #off: (() => void) | null = null;

  constructor(deps: ProgressDeps) {
    this.#deps = deps;
    this.#refresher = new WindowedRefresher(deps.windowMs, (runId) => this.#refresh(runId), (runId, err) => deps.logger.warn({ err, runId }, 'could not update GitHub about a run'));
  }

  start(): void {
    this.#off ??= this.#deps.commands.onEvent((event) => this.#onEvent(event));
  }

  /** A run this front just launched: remembered, and shown at once. */
  track(link: RunLink): void {
    this.#links.set(link.runId, link);
    this.#foreign.delete(link.runId);
    this.#refresher.schedule(link.runId);
  }

  /** Stops listening and sends what is still waiting. */
  async stop(): Promise<void> {
    this.#off?.();
    this.#off = null;
    await this.#refresher.flush();
  }

  /** Sends every waiting refresh now (tests and shutdown). */
  flush(): Promise<void> {
    return this.#refresher.flush();
  }

  #onEvent(event: EngineEvent): void {
    if (event.type === 'step.log' || this.#foreign.has(event.runId)) return;
    this.#refresher.schedule(event.runId);
    if (event.type === 'run.started' || event.type === 'run.finished') {
      for (const runId of this.#queued) if (runId !== event.runId) this.#refresher.schedule(runId);
    }
  }

  async #link(runId: string): Promise<RunLink | null> {
    const known = this.#links.get(runId);
    if (known) return known;
    const stored = await getRunLink(this.#deps.memory, runId);
    if (stored) {
      this.#links.set(runId, stored);
      return stored;
    }
    // A GitHub run's first events may come before its link is saved; only other sources are skipped for good.
    const run = await this.#deps.commands.getRun(runId);
    if (run && run.source !== 'github') {
      if (this.#foreign.size >= MAX_FOREIGN) this.#foreign.clear();
      this.#foreign.add(runId);
    }
    return null;
  }

  async #refresh(runId: string): Promise<void> {
    const { commands, memory, logger } = this.#deps;
    const link = await this.#link(runId);
    if (!link) return;
    const run = await commands.getRun(runId);
    if (!run) return;
    const view = await loadRunView(commands, run, link.checkRunUrl);
    const gh = await this.#deps.client(link.installationId);
    const repo = { owner: link.owner, repo: link.repo };
    const sent = this.#sent.get(runId) ?? { check: '', comment: '' };

    const check = renderCheckRun(view);
    const checkText = JSON.stringify(check);
    if (link.checkRunId !== null && checkText !== sent.check) {
      try {
        await updateCheckRun(gh, repo, link.checkRunId, check, view.now);
        sent.check = checkText;
      } catch (err) {
        logger.warn({ err, runId }, 'could not update the check run');
      }
    }
    const comment = renderComment(view);
    if (link.commentId !== null && comment !== sent.comment) {
      try {
        await updateComment(gh, repo, link.commentId, comment);
        sent.comment = comment;
      } catch (err) {
        logger.warn({ err, runId }, 'could not update the run comment');
      }
    }
    const reaction = await replaceReaction(gh, repo, link.commandCommentId, link.reaction, reactionFor(run.state, testsPassed(view.browsers)), logger);
    if (reaction !== link.reaction) {
      const updated = { ...link, reaction };
      this.#links.set(runId, updated);
      await saveRunLink(memory, updated, commands.now());
    }

    if (run.state === 'queued') this.#queued.add(runId);
    else this.#queued.delete(runId);
    if (isFinished(run.state)) {
      // Nothing follows a finished run's last event; forget it so memory stays bounded.
      this.#links.delete(runId);
      this.#sent.delete(runId);
    } else {
      this.#sent.set(runId, sent);
    }
  }
}
