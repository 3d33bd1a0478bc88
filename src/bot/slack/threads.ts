// Keeps each Slack-launched run's thread current: engine events queue threaded replies and mark the
// parent for a re-render; a paced flusher (paced-flusher.ts) flushes each run at most once a second (Slack's limit for
// updates of one message), later if Slack answers 429. The parent is rendered from the run's
// RunView (read from the store), so any replica — the one driving the run, or one handling a button
// click — renders the same message.
import pLimit from 'p-limit';
import { isFinished, type Run } from '../../domain/run.ts';
import type { BrowserOutcome, EngineEvent } from '../../commands/events.ts';
import type { Logger } from '../../observability/logger.ts';
import { PacedFlusher, type FlushOutcome } from './paced-flusher.ts';
import type { SlackCommands, SlackMemory } from './ports.ts';
import { retryAfterMs } from './rate-limit.ts';
import { renderParent } from './render-parent.ts';
import { firstScreenshot, renderFailures } from './render-failures.ts';
import type { RunView } from '../../commands/executor.ts';
import { renderReply, replyKey } from './render-reply.ts';
import type { SlackApi, SlackMessage } from './slack-api.ts';
import { loadThread, saveThread, type ThreadRecord } from './thread-record.ts';
import { Turns } from './turns.ts';

export interface ThreadsOptions {
  commands: Pick<SlackCommands, 'onEvent' | 'view' | 'getRun' | 'now' | 'artifactFile'>;
  memory: Pick<SlackMemory, 'kvGet' | 'kvSet'>;
  slack: SlackApi;
  logger: Logger;
  /** The slash command as installed, for the hints in messages. */
  prefix: string;
  /** Least time between two updates of one parent message. */
  minIntervalMs?: number;
  /** How often a running step's elapsed time is refreshed when nothing else happens. */
  refreshMs?: number;
  /** How long a Slack run's events wait for its parent message to be posted (maybe by another replica). */
  locateForMs?: number;
  /** Shared with the command work, so thread updates too wait their turn behind acks. */
  turns?: Turns;
  /**
   * Least time between two queue-position updates of a waiting run's parent: with many runs queued,
   * every start would otherwise update every waiting parent, and Slack's chat.update limit is per app.
   */
  queuedRefreshMs?: number;
}

interface PendingReply {
  key: string | null;
  text: string;
}

interface Tracked {
  location: ThreadRecord | null;
  /** Not a Slack run, or its thread never appeared: its events are dropped. */
  ignored: boolean;
  replies: PendingReply[];
  /** Per-browser results as they arrive, before the tests step stores them all. */
  browsers: Map<string, BrowserOutcome>;
  firstSeen: number;
  /** performance.now() of its last event: tells whether a parent rendered earlier is already stale. */
  lastEventAt: number;
  lastState: Run['state'] | null;
}

const MAX_PENDING_REPLIES = 100;
/** Thread-record keys of the failing-tests reply and its screenshot: each goes out once, from whichever replica. */
const FAILURES_KEY = 'artifacts:failures';
const SCREENSHOT_KEY = 'artifacts:screenshot';
/** A larger screenshot is linked, not uploaded. */
const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
const MAX_TRACKED = 1_000;

export class RunThreads {
  private readonly opts: Required<Omit<ThreadsOptions, 'commands' | 'memory' | 'slack' | 'logger' | 'prefix' | 'turns'>> & ThreadsOptions;
  private readonly yieldTurns: Turns;
  private readonly runs = new Map<string, Tracked>();
  private readonly flusher: PacedFlusher<string>;
  /** Flushes due together (timers firing in one tick) take turns, so acks get the loop in between. */
  private readonly flushPool = pLimit(4);
  private unsubscribe: (() => void) | null = null;

  constructor(opts: ThreadsOptions) {
    this.opts = { minIntervalMs: 1_000, refreshMs: 30_000, locateForMs: 10 * 60_000, queuedRefreshMs: 15_000, ...opts };
    this.yieldTurns = opts.turns ?? new Turns();
    this.flusher = new PacedFlusher<string>(
      (runId) =>
        this.flushPool(async () => {
          await this.yieldTurns.next();
          return this.flush(runId);
        }),
      {
        minIntervalMs: this.opts.minIntervalMs,
        onError: (runId, err) => this.opts.logger.warn({ err, runId }, 'could not update the Slack thread of a run'),
      },
    );
  }

  start(): void {
    if (!this.unsubscribe) this.unsubscribe = this.opts.commands.onEvent((e) => this.onEvent(e));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.flusher.stop();
  }

  /** Resolves when every scheduled update has gone out (tests, shutdown). */
  idle(withinMs?: number): Promise<void> {
    return this.flusher.idle(undefined, withinMs);
  }

  /** The parent message as it should look now; `extra` is what its thread record will say (before it exists). */
  async render(runId: string, extra: Partial<ThreadRecord> = {}): Promise<SlackMessage | null> {
    const run = await this.opts.commands.getRun(runId);
    if (!run) return null;
    const tracked = this.runs.get(runId);
    const thread = tracked?.location ?? (await loadThread(this.opts.memory, runId)) ?? {};
    return (await this.renderRun(run, tracked, { ...thread, ...extra })).message;
  }

  /** The run's parent could not be posted: its events have nowhere to go here. */
  forgo(runId: string): void {
    const t = this.track(runId);
    t.ignored = true;
    t.replies = [];
  }

  /**
   * Records where a run's parent was posted. Events that came since it was rendered (`renderedAt`,
   * a performance.now()) are flushed into it; otherwise it is current and left alone.
   */
  async attach(runId: string, record: ThreadRecord, renderedAt = 0): Promise<void> {
    const t = this.track(runId);
    t.location = record;
    t.ignored = false;
    await saveThread(this.opts.memory, runId, record, this.opts.commands.now());
    // The parent was just posted: its first update waits out the interval like any other.
    if (t.replies.length > 0 || t.lastEventAt >= renderedAt) this.flusher.schedule(runId, this.opts.minIntervalMs);
  }

  /** Changes a run's thread record (a button's effect) and re-renders its parent. */
  async note(runId: string, patch: Partial<Pick<ThreadRecord, 'rerunAs' | 'keptBy'>>): Promise<void> {
    const t = this.runs.get(runId);
    const record = t?.location ?? (await loadThread(this.opts.memory, runId));
    if (!record) return;
    const updated = { ...record, ...patch };
    if (t) t.location = updated;
    await saveThread(this.opts.memory, runId, updated, this.opts.commands.now());
    this.refresh(runId);
  }

  /** Re-renders a run's parent (from any replica; the thread is found through the store). */
  refresh(runId: string): void {
    const t = this.track(runId);
    t.ignored = false;
    this.flusher.schedule(runId);
  }

  private track(runId: string): Tracked {
    let t = this.runs.get(runId);
    if (!t) {
      if (this.runs.size >= MAX_TRACKED) this.evictOne();
      t = { location: null, ignored: false, replies: [], browsers: new Map(), firstSeen: Date.now(), lastEventAt: -1, lastState: null };
      this.runs.set(runId, t);
    }
    return t;
  }

  private evictOne(): void {
    for (const [runId, t] of this.runs) {
      if (t.ignored || (t.lastState !== null && isFinished(t.lastState) && t.replies.length === 0)) {
        this.runs.delete(runId);
        this.flusher.forget(runId);
        return;
      }
    }
  }

  private onEvent(e: EngineEvent): void {
    if (e.type === 'step.log' || e.type === 'asset.created' || e.type === 'asset.deleted') return;
    const t = this.track(e.runId);
    t.lastEventAt = performance.now();
    if (t.ignored) return;
    if (e.type === 'tests.browser') t.browsers.set(e.result.browser, e.result);
    const text = renderReply(e);
    if (text !== null && t.replies.length < MAX_PENDING_REPLIES) t.replies.push({ key: replyKey(e), text });
    this.flusher.schedule(e.runId);
    // A run leaving the queue or an environment freeing up moves everyone queued (their own start
    // comes as their own event, at once).
    if (e.type === 'run.started' || e.type === 'run.finished') {
      for (const [runId, other] of this.runs) {
        if (runId !== e.runId && other.lastState === 'queued') this.flusher.schedule(runId, this.opts.queuedRefreshMs);
      }
    }
  }

  private async locate(runId: string, t: Tracked): Promise<ThreadRecord | 'wait' | 'ignore'> {
    if (t.location) return t.location;
    const loaded = await loadThread(this.opts.memory, runId);
    if (t.location) return t.location;
    if (loaded) {
      t.location = loaded;
      return loaded;
    }
    const run = await this.opts.commands.getRun(runId);
    if (!run || run.source !== 'slack') return 'ignore';
    // Its parent is being posted (here, or by the replica that took the command).
    if (Date.now() - t.firstSeen > this.opts.locateForMs) {
      this.opts.logger.warn({ runId }, 'a Slack run has no thread to report to; its progress is in `status` only');
      return 'ignore';
    }
    return 'wait';
  }

  private async flush(runId: string): Promise<FlushOutcome | void> {
    const t = this.runs.get(runId);
    if (!t || t.ignored) return;
    const where = await this.locate(runId, t);
    if (where === 'ignore') {
      t.ignored = true;
      t.replies = [];
      return;
    }
    if (where === 'wait') return { againInMs: this.opts.minIntervalMs };

    while (t.replies.length > 0) {
      const next = t.replies[0]!;
      if (next.key === null || !where.replied.includes(next.key)) {
        try {
          await this.opts.slack.postMessage(where.channel, { text: next.text }, where.ts);
        } catch (err) {
          const wait = retryAfterMs(err);
          if (wait !== null) return { retryAfterMs: wait };
          this.opts.logger.warn({ err, runId }, 'could not post a reply in a run thread; skipping it');
        }
        if (next.key !== null) {
          where.replied.push(next.key);
          await saveThread(this.opts.memory, runId, where, this.opts.commands.now());
        }
      }
      t.replies.shift();
    }

    const run = await this.opts.commands.getRun(runId);
    if (!run) return;
    t.lastState = run.state;
    const { message, stepRunning, view } = await this.renderRun(run, t, where);
    try {
      await this.opts.slack.updateMessage({ channel: where.channel, ts: where.ts }, message);
    } catch (err) {
      const wait = retryAfterMs(err);
      if (wait !== null) return { retryAfterMs: wait };
      throw err;
    }
    if (isFinished(run.state) || run.state === 'kept') {
      const posted = await this.postFailures(runId, view, where);
      if (posted) return posted;
      // Nothing more happens to it here; a later event or click tracks it afresh.
      queueMicrotask(() => {
        const now = this.runs.get(runId);
        if (now === t && t.replies.length === 0) {
          this.runs.delete(runId);
          this.flusher.forget(runId);
        }
      });
      return;
    }
    // A running step shows its elapsed time, which goes stale without any event.
    return stepRunning ? { againInMs: this.opts.refreshMs } : undefined;
  }

  /** The failing tests and the first failure's screenshot, once per run; a 429 comes back as when to try again. */
  private async postFailures(runId: string, view: RunView, where: ThreadRecord): Promise<FlushOutcome | undefined> {
    const text = renderFailures(view);
    if (text === null) return undefined;
    const failures = await this.replyOnce(runId, where, FAILURES_KEY, 'could not post the failing tests in the run thread', async () => {
      await this.opts.slack.postMessage(where.channel, { text }, where.ts);
    });
    if (failures) return failures;
    const shot = firstScreenshot(view);
    if (!shot) return undefined;
    // A workspace that did not grant files:write still gets the link in the reply above.
    return this.replyOnce(runId, where, SCREENSHOT_KEY, "could not upload the first failure's screenshot to the run thread", async () => {
      const data = await this.opts.commands.artifactFile(runId, shot.name, MAX_UPLOAD_BYTES);
      const filename = shot.name.split('/').pop() ?? 'screenshot.png';
      if (data) await this.opts.slack.uploadFile({ channel: where.channel, threadTs: where.ts, filename, title: shot.title, data, altText: `screenshot of ${shot.title}` });
    });
  }

  /**
   * One extra reply in the thread, at most once per run (remembered under `key` in the thread record):
   * a 429 says when to try again; any other failure is logged and not retried, so a reply Slack refuses
   * never repeats on every event.
   */
  private async replyOnce(runId: string, where: ThreadRecord, key: string, failedWhat: string, send: () => Promise<void>): Promise<FlushOutcome | undefined> {
    if (where.replied.includes(key)) return undefined;
    try {
      await send();
    } catch (err) {
      const wait = retryAfterMs(err);
      if (wait !== null) return { retryAfterMs: wait };
      this.opts.logger.warn({ err, runId }, failedWhat);
    }
    where.replied.push(key);
    await saveThread(this.opts.memory, runId, where, this.opts.commands.now());
    return undefined;
  }

  private async renderRun(run: Run, t: Tracked | undefined, thread: Partial<ThreadRecord>): Promise<{ message: SlackMessage; stepRunning: boolean; view: RunView }> {
    const view = await this.opts.commands.view(run);
    const ended = isFinished(run.state) || run.state === 'kept';
    const live = t ? [...t.browsers.values()] : [];
    const message = renderParent({
      run,
      timings: view.timings,
      startedAt: view.startedAt,
      // Until the tests step stores them all, the results heard so far.
      browsers: view.browsers.length ? view.browsers : live,
      cost: ended ? view.cost : null,
      assets: view.assets,
      deadManSwitch: view.deadManSwitch,
      cancelled: view.cancelled,
      queuePosition: view.queuePosition,
      queueEtaMs: view.queueEtaMs,
      estimate: view.estimate,
      waitingFor: view.waitingFor,
      thread: { rerunOf: thread.rerunOf, rerunAs: thread.rerunAs, keptBy: thread.keptBy },
      now: view.now,
      prefix: this.opts.prefix,
    });
    return { message, stepRunning: run.state === 'running' && view.timings.some((x) => x.state === 'running'), view };
  }
}
