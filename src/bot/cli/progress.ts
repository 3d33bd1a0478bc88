// Progress of a foreground launch on stderr: a live step list with elapsed times in a terminal,
// plain timestamped lines in a pipe (CI logs, `2> run.log`).
import { formatDuration } from '../../domain/duration.ts';
import type { CommandExecutor } from '../../commands/executor.ts';
import type { EngineEvent } from '../../commands/events.ts';

type Out = NodeJS.WritableStream & { isTTY?: boolean };
type Feed = Pick<CommandExecutor, 'onEvent' | 'stepNames'>;

interface StepLine {
  state: 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'cancelled';
  startedAt: number | null;
  durationMs: number | null;
  note: string;
}

const ICON: Record<StepLine['state'], string> = { pending: '·', running: '▸', done: '✓', failed: '✗', skipped: '–', cancelled: '⊘' };

/**
 * `lines`: plain lines even in a terminal (a teardown has one step to show, not the launch's list).
 * `runId` null: every run the engine reports — the CLI's engine drives only what it launched, and
 * attaching before the launch is the only way to see its first steps. `logs`: the steps' log lines
 * too (a promotion's progress per region); in a terminal, the latest one is its step's note.
 */
export function attachProgress(feed: Feed, runId: string | null, out: Out, opts: { lines?: boolean; stepNames?: readonly string[]; logs?: boolean } = {}): () => void {
  const logs = opts.logs ?? false;
  return out.isTTY && !opts.lines ? attachLive(feed, runId, out, opts.stepNames ?? feed.stepNames, logs) : attachPlain(feed, runId, out, logs);
}

/** One line per event that matters; step output lines only at debug verbosity (they can be many). */
export function describeEvent(e: EngineEvent): string | null {
  switch (e.type) {
    case 'run.queued': return `queued at position ${e.position}`;
    case 'run.started': return `started on ${e.env}${e.browsers.length ? ` (${e.browsers.join(', ')})` : ''}`;
    case 'run.adopted': return `adopted (${e.action}): ${e.reason}`;
    case 'step.started': return `${e.step} started`;
    case 'step.finished': return `${e.step} done in ${formatDuration(e.durationMs)}`;
    case 'step.failed': return `${e.step} failed after ${formatDuration(e.durationMs)}: ${e.error}${e.tail ? `\n${indent(e.tail)}` : ''}`;
    case 'step.skipped': return `${e.step} skipped: ${e.reason}`;
    case 'step.cancelled': return `${e.step} cancelled after ${formatDuration(e.durationMs)}`;
    case 'asset.created': return `created ${e.kind} ${e.id} (${e.region})`;
    case 'asset.deleted': return `deleted ${e.kind} ${e.id}`;
    case 'tests.browser': return `${e.result.browser}: ${e.result.outcome} (${e.result.passed} passed, ${e.result.failed} failed, ${e.result.flaky} flaky, ${e.result.skipped} skipped)`;
    case 'run.kept': return `kept until ${e.until}`;
    case 'run.retest': return `retest of ${e.browsers.join(', ')}${e.grep !== null ? ` (tests matching ${JSON.stringify(e.grep)})` : ''} asked by ${e.by}; kept until ${e.until}`;
    case 'run.retest-interrupted': return `retest interrupted (${e.reason}): its tests step ended interrupted; the environment is still kept${e.until ? ` until ${e.until}` : ''}; \`retest ${e.runId}\` runs them again`;
    case 'run.cancel-requested': return `cancel requested by ${e.by}${e.reason ? ` (${e.reason})` : ''}`;
    case 'teardown.done': return `teardown: ${e.deleted} deleted${e.failed.length ? `, NOT deleted: ${e.failed.join('; ')}` : ''}`;
    case 'run.finished': return `finished: ${e.state}${e.error ? ` — ${e.error}` : ''}`;
    case 'step.warning': return `${e.step}: ${e.message}`;
    case 'step.log': return null;
  }
}

function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

function attachPlain(feed: Feed, runId: string | null, out: Out, logs: boolean): () => void {
  return feed.onEvent((e) => {
    if (runId !== null && e.runId !== runId) return;
    const line = e.type === 'step.log' && logs ? e.line : describeEvent(e);
    if (line) out.write(`${e.at.toISOString().slice(11, 19)} ${e.runId} ${line}\n`);
  });
}

function attachLive(feed: Feed, only: string | null, out: Out, names: readonly string[], logs: boolean): () => void {
  let runId = only ?? '';
  const steps = new Map<string, StepLine>(names.map((n) => [n, { state: 'pending', startedAt: null, durationMs: null, note: '' }]));
  let header = `${runId}: starting`;
  let drawn = 0;
  const draw = () => {
    const now = Date.now();
    const lines = [header, ...names.map((n) => {
      const s = steps.get(n)!;
      const time = s.state === 'running' && s.startedAt ? formatDuration(now - s.startedAt) : s.durationMs !== null ? formatDuration(s.durationMs) : '';
      return `  ${ICON[s.state]} ${n.padEnd(15)} ${time.padStart(8)}  ${s.note}`.trimEnd();
    })];
    out.write(`${drawn ? `\x1b[${drawn}F` : ''}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
    drawn = lines.length;
  };
  const timer = setInterval(draw, 1_000);
  timer.unref();
  const off = feed.onEvent((e) => {
    if (only !== null && e.runId !== only) return;
    runId = e.runId;
    const s = 'step' in e ? steps.get(e.step) : undefined;
    if (e.type === 'step.started' && s) Object.assign(s, { state: 'running', startedAt: e.at.getTime() });
    else if (e.type === 'step.finished' && s) Object.assign(s, { state: 'done', durationMs: e.durationMs });
    else if (e.type === 'step.failed' && s) Object.assign(s, { state: 'failed', durationMs: e.durationMs, note: e.error.slice(0, 80) });
    else if (e.type === 'step.skipped' && s) Object.assign(s, { state: 'skipped', note: e.reason });
    else if (e.type === 'step.cancelled' && s) Object.assign(s, { state: 'cancelled', durationMs: e.durationMs, note: 'cancelled' });
    else if (e.type === 'step.warning' && s) s.note = `! ${e.message}`.slice(0, 100);
    else if (e.type === 'run.started') header = `${runId}: running on ${e.env} (${e.browsers.join(', ')})`;
    else if (e.type === 'run.queued') header = `${runId}: queued at position ${e.position}`;
    else if (e.type === 'run.finished') header = `${runId}: ${e.state}${e.error ? ` — ${e.error}` : ''}`;
    else if (e.type === 'step.log' && logs) {
      const running = [...steps.values()].find((x) => x.state === 'running');
      if (running) running.note = e.line.slice(0, 100);
      draw();
      return;
    } else if (e.type !== 'step.log') return;
    if (e.type !== 'step.log') draw();
  });
  draw();
  return () => {
    clearInterval(timer);
    off();
    draw();
  };
}
