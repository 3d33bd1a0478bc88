// Command results as a terminal shows them and as their JSON documents carry them, with the exit
// code each one ends with; and the document of a run (a foreground launch, status, cancel…).
import { formatUsd } from '../../cost/estimate.ts';
import { formatDuration } from '../../domain/duration.ts';
import type { EnvLock } from '../../domain/lock.ts';
import { isFinished, type Run } from '../../domain/run.ts';
import { isRunProduct, runProductName } from '../../domain/image.ts';
import { EXIT_CODES } from '../../errors.ts';
import type { BrowserOutcome, DeadManSwitchView, RunCost, StepTiming } from '../../commands/events.ts';
import type { CommandResult, EnvView, RunView } from '../../commands/executor.ts';
import type { SweepReport } from '../../commands/reports.ts';
import { poolStandingLine } from '../../commands/pool-lines.ts';
import type { Verb } from '../../commands/grammar.ts';
import { fellShort, succeeded, type Outcome } from './output.ts';
import { actualCostText, estimateText, usualText, viewQueueText } from '../../commands/estimate-text.ts';
import type { CostEstimate } from '../../cost/launch-estimate.ts';

/** What `stagebot launch … --output json` prints: the whole run in one document. */
export interface RunDocument {
  runId: string;
  /** launch, bake or promote. */
  kind: Run['kind'];
  env: string | null;
  state: Run['state'];
  error: string | null;
  requestedBy: string;
  startedAt: string | null;
  finishedAt: string | null;
  keptUntil: string | null;
  steps: StepTiming[];
  browsers: BrowserOutcome[];
  assets: { kind: string; id: string; region: string; createdAt: string; deletedAt: string | null }[];
  cost: RunCost;
  /** What it was expected to cost when asked for (hourly rate x a usual run plus its keep), with the words every front uses. */
  estimate?: (CostEstimate & { text: string }) | null;
  /** While the run is up: when its host powers itself off unless stagebot moves it. */
  deadManSwitch: DeadManSwitchView | null;
}

export function runDocument(view: CliRunView): RunDocument {
  const { run, assets } = view;
  return {
    runId: run.id,
    kind: run.kind,
    env: run.env,
    state: run.state,
    error: run.error,
    requestedBy: run.requester,
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    keptUntil: run.state === 'kept' ? (run.expiresAt?.toISOString() ?? null) : null,
    steps: view.timings,
    browsers: view.browsers,
    assets: assets.map((a) => ({ kind: a.kind, id: a.id, region: a.region, createdAt: a.createdAt.toISOString(), deletedAt: a.deletedAt?.toISOString() ?? null })),
    cost: view.cost,
    estimate: view.estimate ? { ...view.estimate, text: estimateText(view.estimate) } : null,
    deadManSwitch: view.deadManSwitch,
  };
}

/** `dead man's switch: the host powers itself off at …` while it matters. */
export function switchLine(view: DeadManSwitchView | null): string | null {
  return view ? `dead man's switch: armed; the host powers itself off at ${view.firesAt} unless stagebot moves it` : null;
}

export function timingTable(timings: StepTiming[]): string {
  const rows = timings.map((t) => {
    const note = usualText(t);
    return `  ${t.step.padEnd(15)} ${t.state.padEnd(10)} ${t.durationMs === null ? '' : formatDuration(t.durationMs).padStart(8)}${note ? `  ${t.slow ? '⚠ ' : ''}${note}` : ''}`.trimEnd();
  });
  const total = timings.reduce((sum, t) => sum + (t.durationMs ?? 0), 0);
  return [`  ${'step'.padEnd(15)} ${'state'.padEnd(10)} ${'time'.padStart(8)}`, ...rows, `  ${'(sum)'.padEnd(26)} ${formatDuration(total).padStart(8)}`].join('\n');
}

function browserLine(b: BrowserOutcome): string {
  const counts = `${b.passed} passed, ${b.failed} failed, ${b.flaky} flaky, ${b.skipped} skipped`;
  const failing = b.failingTests.length ? `\n${b.failingTests.map((t) => `      ✗ ${t}`).join('\n')}` : '';
  const detail = b.detail && b.outcome !== 'passed' && b.outcome !== 'failed' ? `\n      ${b.detail.split('\n', 1)[0]}` : '';
  return `  ${b.browser.padEnd(8)} ${b.outcome.padEnd(9)} ${counts}${b.reportUrl ? `  ${b.reportUrl}` : ''}${failing}${detail}`;
}

export function renderRunDocument(doc: RunDocument): string {
  const live = doc.assets.filter((a) => a.deletedAt === null);
  const headline = `run ${doc.runId} on ${doc.env ?? '(no environment yet)'}: ${doc.state}${doc.error ? ` — ${doc.error}` : ''}`;
  // A run that stopped before its first step (the account check) has no table, cost or assets to show.
  const ran = doc.steps.some((t) => t.state !== 'pending' && t.state !== 'skipped');
  if (!ran && doc.assets.length === 0 && !doc.keptUntil) return headline;
  const lines = [headline, '', timingTable(doc.steps)];
  if (doc.browsers.length) lines.push('', 'tests:', ...doc.browsers.map(browserLine));
  lines.push('', `cost: ${actualCostText(doc.cost, doc.estimate)}${doc.cost.unknown.length ? ` (not priced: ${doc.cost.unknown.join('; ')})` : ''}`);
  if (doc.keptUntil) {
    lines.push(`kept until ${doc.keptUntil}: ${live.length} assets up (\`stagebot teardown ${doc.runId}\` to end it now)`);
    const armed = switchLine(doc.deadManSwitch);
    if (armed) lines.push(armed);
  }
  else if (doc.assets.length === 0) lines.push('nothing was created');
  else {
    // A bake's candidate, a promotion's release: kept on purpose, not left behind.
    const kept = live.filter((a) => isRunProduct(doc, a.kind));
    const left = live.filter((a) => !isRunProduct(doc, a.kind));
    if (kept.length) lines.push(`kept: ${kept.map((a) => `${a.kind} ${a.id} (${a.region})`).join(', ')} — ${runProductName(doc.kind)}`);
    if (left.length === 0) lines.push(kept.length ? `all ${doc.assets.length - kept.length} other assets torn down` : `all ${doc.assets.length} assets torn down`);
    else lines.push(`NOT torn down: ${left.map((a) => `${a.kind} ${a.id}`).join(', ')} (the sweeper will find them by tag)`);
  }
  return lines.join('\n');
}

function since(d: Date): string {
  return `since ${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function envLine(e: EnvView): string {
  if (e.run) return `  ${e.env.padEnd(8)} ${e.run.state.padEnd(12)} run ${e.run.id} by ${e.run.requester} ${since(e.run.startedAt ?? e.run.createdAt)}`;
  if (e.lock) return `  ${e.env.padEnd(8)} ${'locked'.padEnd(12)} by ${e.lock.holder} ${since(e.lock.since)}${e.lock.reason ? `: ${e.lock.reason}` : ''}`;
  return `  ${e.env.padEnd(8)} free`;
}

/** Why a queued run waits: `stg2 is locked by cli:alice since … (db migration)`, one per held environment. */
export function waitingText(waitingFor: readonly EnvLock[]): string | null {
  if (waitingFor.length === 0) return null;
  return waitingFor
    .map((l) => (l.holderKind === 'run' ? `${l.env} is in use by run ${l.holder} ${since(l.since)}` : `${l.env} is locked by ${l.holder} ${since(l.since)}${l.reason ? ` (${l.reason})` : ''}`))
    .join('; ');
}

/** What the CLI shows of a run's RunView (status, cancel, extend...). */
export type CliRunView = Pick<RunView, 'run' | 'timings' | 'browsers' | 'cost' | 'assets' | 'deadManSwitch' | 'estimate'> & Partial<Pick<RunView, 'queuePosition' | 'queueEtaMs' | 'waitingFor'>>;

/** A command's result as the CLI renders it: a run needs only its CliRunView. */
export type CliResult = Exclude<CommandResult, { kind: 'run' }> | { kind: 'run'; view: CliRunView };

export function renderResult(result: CliResult): string {
  switch (result.kind) {
    case 'help':
      return result.text;
    case 'launched':
      return result.position === null ? `run ${result.run.id} started on ${result.run.env}` : `run ${result.run.id} queued at position ${result.position}`;
    case 'dry-run':
      return [`${result.verb ?? 'launch'} --dry-run on ${result.env}: ${result.report.ok ? 'everything needed is allowed; nothing was created' : 'problems found; nothing was created'}`,
        ...result.report.checks.map((c) => `  ${c.info ? 'i' : c.ok ? '✓' : '✗'} ${c.check}: ${c.detail}`)].join('\n');
    case 'run': {
      const v = result.view;
      const live = v.assets.filter((a) => a.deletedAt === null).length;
      const queued = viewQueueText({ ...v, queuePosition: v.queuePosition ?? null });
      return [`run ${v.run.id} on ${v.run.env ?? '(queued)'}: ${v.run.state}${v.run.error ? ` — ${v.run.error}` : ''}`,
        ...(queued ? [`queued: ${queued}`] : []),
        `requested by ${v.run.requester} via ${v.run.source}; browsers ${v.run.options.browsers.join(', ')}${v.run.state === 'kept' && v.run.expiresAt ? `; kept until ${v.run.expiresAt.toISOString()}` : ''}`,
        timingTable(v.timings),
        ...(v.browsers.length ? ['tests:', ...v.browsers.map(browserLine)] : []),
        `assets: ${v.assets.length} created, ${live} live; cost ${isFinished(v.run.state) ? actualCostText(v.cost, v.estimate) : `so far ${formatUsd(v.cost.usd)}${v.estimate ? ` (expected ${estimateText(v.estimate)})` : ''}`}`,
        ...[switchLine(v.deadManSwitch)].filter((l) => l !== null)].join('\n');
    }
    case 'environments': {
      const queue = result.queue.map((r, i) => `  ${i + 1}. ${r.id} by ${r.requester} (${r.env ?? `any of ${(r.options.pool ?? []).join(', ')}`})${result.queueNotes[r.id] ? `: ${result.queueNotes[r.id]}` : ''}`);
      return ['environments:', ...result.environments.map(envLine), ...(queue.length ? ['queue:', ...queue] : ['queue: empty']), ...result.pools.map(poolStandingLine)].join('\n');
    }
    case 'assets': {
      if (result.assets.length === 0) return `run ${result.runId} created no assets`;
      const rows = result.assets.map((a) => `  ${a.kind.padEnd(20)} ${a.id.padEnd(24)} ${a.region.padEnd(12)} ${(a.deletedAt ? `deleted ${a.deletedAt.toISOString()}` : 'live').padEnd(32)} ${formatUsd(a.costUsd).padStart(10)}`);
      const unknown = result.cost.unknown.length ? ` (not priced: ${result.cost.unknown.join(', ')})` : '';
      return [`assets of ${result.runId}:`, ...rows, `  ${'total'.padEnd(91)} ${formatUsd(result.cost.usd).padStart(10)}${unknown}`].join('\n');
    }
    case 'locked':
      return `${result.lock.env} locked by ${result.lock.holder}${result.lock.reason ? `: ${result.lock.reason}` : ''} (until \`unlock ${result.lock.env}\`)`;
    case 'unlocked':
      return `${result.env} unlocked (was held by ${result.previous.holder})`;
    case 'sweep':
    case 'cost':
    case 'images':
      return result.report.text;
  }
}

/**
 * The last line of `teardown` and `cancel`, once the run has ended: whether its environment is gone.
 * A run still going (its teardown on another process) says where to look.
 */
export function tornDownLine(view: Pick<CliRunView, 'run' | 'assets'>): string {
  const { run, assets } = view;
  if (!isFinished(run.state)) return `run ${run.id} is ${run.state.replace('_', ' ')}; its teardown goes on in the process driving it (\`stagebot status ${run.id}\` shows when it is done)`;
  const live = assets.filter((a) => a.deletedAt === null);
  if (assets.length === 0) return `run ${run.id} ended ${run.state}; it had created nothing, so nothing was left to tear down`;
  if (live.length === 0) return `run ${run.id} is torn down: all ${assets.length} assets deleted (it ended ${run.state})`;
  return `run ${run.id} ended ${run.state} but is NOT fully torn down; still there: ${live.map((a) => `${a.kind} ${a.id}`).join(', ')} (the sweeper will find them by their tags)`;
}

/**
 * `teardown` and `cancel` once the teardown they asked for has ended: ok when nothing of the
 * environment is left; the run's document either way.
 */
export function teardownOutcome(command: string, view: CliRunView): Outcome {
  const text = `${renderResult({ kind: 'run', view })}\n${tornDownLine(view)}`;
  const doc = runDocument(view);
  return view.assets.every((a) => a.deletedAt !== null) ? succeeded(command, doc, text) : fellShort(command, doc, text, [tornDownLine(view)]);
}

/** A foreground launch's outcome: ok when its run succeeded or is kept; otherwise why not. */
export function runOutcome(command: string, doc: RunDocument): Outcome {
  if (doc.state === 'succeeded' || doc.state === 'kept') return succeeded(command, doc, renderRunDocument(doc));
  return fellShort(command, doc, renderRunDocument(doc), [doc.error ?? `run ${doc.runId} ${doc.state}`]);
}

/** A sweep falls short in the worst way it did: refused, incomplete, stopped at the limit, or with errors. */
function sweepExitCode(r: SweepReport): number {
  if (r.accountRefused) return EXIT_CODES.accountRefused;
  if (!r.complete) return EXIT_CODES.incomplete;
  if (r.needsConfirmation) return EXIT_CODES.needsConfirmation;
  return EXIT_CODES.failed;
}

/** A command-language verb's result: its JSON document, its text and its exit code. */
export function resultOutcome(verb: Verb, result: Exclude<CommandResult, { kind: 'launched' }>): Outcome {
  const text = renderResult(result);
  switch (result.kind) {
    case 'sweep': {
      const { data, problems } = result.report;
      return problems.length === 0 ? succeeded(verb, data, text) : fellShort(verb, data, text, problems, sweepExitCode(data));
    }
    case 'cost':
      return succeeded(verb, result.report.data, text);
    case 'images': {
      const { data, problems } = result.report;
      return problems.length === 0 ? succeeded(verb, data, text) : fellShort(verb, data, text, problems);
    }
    case 'dry-run': {
      const doc = { env: result.env, ...result.report };
      const failed = result.report.checks.filter((c) => !c.ok).map((c) => `${c.check}: ${c.detail}`);
      return result.report.ok ? succeeded(verb, doc, text) : fellShort(verb, doc, text, failed);
    }
    case 'run':
      // status, cancel, teardown, extend: they did their job whatever state the run is in.
      return succeeded(verb, runDocument(result.view), text);
    case 'help':
      return succeeded(verb, { topic: null, text: result.text }, text);
    case 'environments':
      return succeeded(verb, { environments: result.environments, queue: result.queue, queueNotes: result.queueNotes, pools: result.pools }, text);
    case 'assets':
      return succeeded(verb, { runId: result.runId, assets: result.assets, cost: result.cost }, text);
    case 'locked':
      return succeeded(verb, { lock: result.lock }, text);
    case 'unlocked':
      return succeeded(verb, { env: result.env, previous: result.previous }, text);
  }
}
