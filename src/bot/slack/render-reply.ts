// The threaded replies under a run's parent: one per finished or failed step with what a person
// wants to see of it (instance and IPs, target health, the failing recipe's output tail, each
// browser's result), and one for the few run-level events that change what happens next.
import { formatDuration } from '../../domain/duration.ts';
import type { BrowserOutcome, EngineEvent } from '../../pipeline/events.ts';
import { browserLine } from './render-parent.ts';
import { code, codeBlock, esc, fit, when, who } from './mrkdwn.ts';

const MAX_FAILING_SHOWN = 10;
const MAX_TAIL_CHARS = 1_800;

type Detail = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function launchDetail(d: Detail): string[] {
  const instance = str(d.instanceId);
  if (!instance) return [];
  const parts = [`instance ${code(instance)}${str(d.instanceType) ? ` (${esc(String(d.instanceType))})` : ''}`];
  if (str(d.publicIp)) parts.push(`public IP ${code(String(d.publicIp))}`);
  if (str(d.privateIp)) parts.push(`private IP ${code(String(d.privateIp))}`);
  const volumes = strs(d.volumeIds);
  if (volumes.length) parts.push(`volumes ${volumes.map(code).join(', ')}`);
  if (d.adopted === true) parts.push('adopted (it already existed for this run)');
  return [parts.join(' · ')];
}

function registerDetail(d: Detail): string[] {
  const arn = str(d.targetGroupArn);
  const name = arn ? (/targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn) : 'the target group';
  const polls = num(d.healthPolls);
  const lines = [`healthy in ${code(name)}${polls !== null ? ` after ${polls} health check${polls === 1 ? '' : 's'}` : ''}`];
  const gone = strs(d.deregistered);
  if (gone.length) lines.push(`deregistered first: ${gone.map(code).join(', ')}`);
  return lines;
}

function serviceUpdateDetail(d: Detail): string[] {
  const items = Array.isArray(d.items) ? (d.items as Detail[]) : [];
  return items.map((item) => {
    const icon = item.outcome === 'succeeded' ? ':white_check_mark:' : item.outcome === 'continued' ? ':warning:' : ':x:';
    const attempts = num(item.attempts);
    const ms = num(item.durationMs);
    return `${icon} ${esc(String(item.name ?? '?'))}${ms !== null ? ` — ${formatDuration(ms)}` : ''}${attempts !== null && attempts > 1 ? ` (${attempts} attempts)` : ''}${item.outcome === 'continued' ? ' (failed; continue-on-error)' : ''}`;
  });
}

function failingTests(b: BrowserOutcome): string[] {
  if (b.failingTests.length === 0) return [];
  const shown = b.failingTests.slice(0, MAX_FAILING_SHOWN).map((t) => `    • ${esc(t)}`);
  const more = b.failingTests.length - shown.length;
  return [...shown, ...(more > 0 ? [`    … and ${more} more`] : [])];
}

export function browsersDetail(results: readonly BrowserOutcome[]): string[] {
  return results.flatMap((b) => [
    browserLine(b),
    ...failingTests(b),
    ...(b.detail && b.outcome !== 'passed' && b.outcome !== 'failed' ? [`    ${esc(b.detail.split('\n', 1)[0] ?? '')}`] : []),
  ]);
}

function testsDetail(d: Detail): string[] {
  const results = Array.isArray(d.results) ? (d.results as BrowserOutcome[]) : [];
  return browsersDetail(results);
}

function teardownDetail(d: Detail): string[] {
  const failed = strs(d.failed);
  const lines = [`deleted ${num(d.deleted) ?? 0}${num(d.alreadyGone) ? `, ${d.alreadyGone} already gone` : ''}`];
  if (failed.length) lines.push(`:warning: could not delete: ${failed.map(esc).join('; ')} (the sweeper will retry)`);
  return lines;
}

function stepDetail(step: string, d: Detail): string[] {
  switch (step) {
    case 'launch':
      return launchDetail(d);
    case 'open-ssh': {
      const rules = strs(d.ruleIds);
      return rules.length ? [`port 22 opened for the bot: ${rules.map(code).join(', ')}`] : [];
    }
    case 'wait-ssh':
      return str(d.host) ? [`sshd answered at ${code(`${d.host}:${d.port}`)}${num(d.attempts) ? ` after ${d.attempts} ${d.attempts === 1 ? 'try' : 'tries'}` : ''}; host key ${code(String(d.hostKey ?? '?'))} pinned`] : [];
    case 'arm-switch':
      return str(d.firesAt) ? [`:alarm_clock: dead man's switch armed: the host powers itself off ${when(new Date(String(d.firesAt)))} unless stagebot moves it`] : [];
    case 'service-update':
      return serviceUpdateDetail(d);
    case 'register':
      return registerDetail(d);
    case 'tests':
      return testsDetail(d);
    case 'teardown':
      return teardownDetail(d);
    case 'prepare-tests':
      return str(d.cacheKey) ? [`test bundle ${code(String(d.cacheKey))}`] : [];
    default:
      return [];
  }
}

/** The reply an event deserves, or null for events that only update the parent. */
export function renderReply(event: EngineEvent): string | null {
  switch (event.type) {
    case 'step.finished': {
      const testsFailed = event.step === 'tests' && event.detail.allPassed === false;
      const head = testsFailed
        ? `:x: *${esc(event.step)}* done in ${formatDuration(event.durationMs)}: ${esc(String(event.detail.summary ?? 'some browsers failed'))}`
        : `:white_check_mark: *${esc(event.step)}* done in ${formatDuration(event.durationMs)}`;
      return fit([head, ...stepDetail(event.step, event.detail)].join('\n'));
    }
    case 'step.failed': {
      const tail = event.tail ? `\n${codeBlock(event.tail.length > MAX_TAIL_CHARS ? `…${event.tail.slice(-MAX_TAIL_CHARS)}` : event.tail)}` : '';
      return fit(`:x: *${esc(event.step)}* failed after ${formatDuration(event.durationMs)}: ${esc(event.error)}${tail}`);
    }
    case 'run.adopted':
      return `:arrows_counterclockwise: another stagebot process took this run over (${event.action === 'resume' ? 'resuming it' : 'tearing it down'}): ${esc(event.reason)}`;
    case 'run.cancel-requested':
      return `:no_entry_sign: cancel requested by ${who(event.by)}; tearing down`;
    case 'run.kept':
      return `:pushpin: the environment is kept until ${when(new Date(event.until))}`;
    default:
      return null;
  }
}

/** Replies are posted once per step (a key per step), once per other event (no key). */
export function replyKey(event: EngineEvent): string | null {
  return event.type === 'step.finished' || event.type === 'step.failed' ? `${event.type}:${event.step}` : null;
}
