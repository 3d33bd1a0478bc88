// The threaded replies under a run's parent: one per finished or failed step with what a person
// wants to see of it (instance and IPs, target health, the failing recipe's output tail, each
// browser's result), and one for the few run-level events that change what happens next.
import type { BrowserOutcome, EngineEvent, LaunchOutputs, RegisterOutputs, ServiceUpdateOutputs, StepFinishedBody, TeardownOutputs } from '../../commands/events.ts';
import { formatDuration } from '../../domain/duration.ts';
import { browserLine } from './render-parent.ts';
import { code, codeBlock, esc, fit, when, who } from './mrkdwn.ts';

const MAX_FAILING_SHOWN = 10;
const MAX_TAIL_CHARS = 1_800;

function launchDetail(d: LaunchOutputs): string[] {
  if (!d.instanceId) return [];
  const parts = [`instance ${code(d.instanceId)}${d.instanceType ? ` (${esc(d.instanceType)})` : ''}`];
  if (d.publicIp) parts.push(`public IP ${code(d.publicIp)}`);
  if (d.privateIp) parts.push(`private IP ${code(d.privateIp)}`);
  if (d.volumeIds.length) parts.push(`volumes ${d.volumeIds.map(code).join(', ')}`);
  if (d.adopted) parts.push('adopted (it already existed for this run)');
  return [parts.join(' · ')];
}

function registerDetail(d: RegisterOutputs): string[] {
  const arn = d.targetGroupArn;
  const name = arn ? (/targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn) : 'the target group';
  const polls = d.healthPolls ?? null;
  const lines = [`healthy in ${code(name)}${polls !== null ? ` after ${polls} health check${polls === 1 ? '' : 's'}` : ''}`];
  if (d.deregistered.length) lines.push(`deregistered first: ${d.deregistered.map(code).join(', ')}`);
  return lines;
}

function serviceUpdateDetail(d: ServiceUpdateOutputs): string[] {
  return d.items.map((item) => {
    const icon = item.outcome === 'succeeded' ? ':white_check_mark:' : item.outcome === 'continued' ? ':warning:' : ':x:';
    return `${icon} ${esc(item.name)} — ${formatDuration(item.durationMs)}${item.attempts > 1 ? ` (${item.attempts} attempts)` : ''}${item.outcome === 'continued' ? ' (failed; continue-on-error)' : ''}`;
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

function teardownDetail(d: TeardownOutputs): string[] {
  const lines = [`deleted ${d.deleted}${d.alreadyGone ? `, ${d.alreadyGone} already gone` : ''}`];
  if (d.failed.length) lines.push(`:warning: could not delete: ${d.failed.map(esc).join('; ')} (the sweeper will retry)`);
  return lines;
}

/** What a finished step's reply says below its headline, from that step's own outputs. */
function stepDetail(e: StepFinishedBody): string[] {
  switch (e.step) {
    case 'launch':
      return launchDetail(e.detail);
    case 'open-ssh':
      return e.detail.ruleIds.length ? [`port 22 opened for the bot: ${e.detail.ruleIds.map(code).join(', ')}`] : [];
    case 'wait-ssh': {
      const { host, port, attempts, hostKey } = e.detail;
      return host ? [`sshd answered at ${code(`${host}:${port}`)}${attempts ? ` after ${attempts} ${attempts === 1 ? 'try' : 'tries'}` : ''}; host key ${code(hostKey)} pinned`] : [];
    }
    case 'arm-switch':
      return e.detail.firesAt ? [`:alarm_clock: dead man's switch armed: the host powers itself off ${when(new Date(e.detail.firesAt))} unless stagebot moves it`] : [];
    case 'service-update':
      return serviceUpdateDetail(e.detail);
    case 'register':
      return registerDetail(e.detail);
    case 'tests':
      return browsersDetail(e.detail.results);
    case 'teardown':
      return teardownDetail(e.detail);
    case 'prepare-tests':
      return e.detail.cacheKey ? [`test bundle ${code(e.detail.cacheKey)}`] : [];
    default:
      // A step outside the default pipeline: its headline says enough.
      return [];
  }
}

/** The reply an event deserves, or null for events that only update the parent. */
export function renderReply(event: EngineEvent): string | null {
  switch (event.type) {
    case 'step.finished': {
      const head =
        event.step === 'tests' && event.detail.allPassed === false
          ? `:x: *${esc(event.step)}* done in ${formatDuration(event.durationMs)}: ${esc(event.detail.summary ?? 'some browsers failed')}`
          : `:white_check_mark: *${esc(event.step)}* done in ${formatDuration(event.durationMs)}`;
      return fit([head, ...stepDetail(event)].join('\n'));
    }
    case 'step.failed': {
      const tail = event.tail ? `\n${codeBlock(event.tail.length > MAX_TAIL_CHARS ? `…${event.tail.slice(-MAX_TAIL_CHARS)}` : event.tail)}` : '';
      return fit(`:x: *${esc(event.step)}* failed after ${formatDuration(event.durationMs)}: ${esc(event.error)}${tail}`);
    }
    case 'step.warning':
      return fit(`:warning: *${esc(event.step)}*: ${esc(event.message)}`);
    case 'run.adopted':
      return `:arrows_counterclockwise: another stagebot process took this run over (${event.action === 'resume' ? 'resuming it' : 'tearing it down'}): ${esc(event.reason)}`;
    case 'run.cancel-requested':
      return `:no_entry_sign: cancel requested by ${who(event.by)}${event.reason ? ` (${esc(event.reason)})` : ''}; tearing down`;
    case 'run.kept':
      return `:pushpin: the environment is kept until ${when(new Date(event.until))}`;
    case 'run.retest':
      return fit(`:repeat: retest asked by ${who(event.by)}: ${esc(event.browsers.join(', '))}${event.grep !== null ? ` (only tests matching ${code(event.grep)})` : ''}; the environment is kept until ${when(new Date(event.until))}`);
    case 'run.retest-interrupted':
      return fit(`:warning: the retest was interrupted (${esc(event.reason)}): its tests did not finish; the environment is still kept${event.until ? ` until ${when(new Date(event.until))}` : ''}, and ${code(`retest ${event.runId}`)} runs them again`);
    default:
      return null;
  }
}

/** Replies are posted once per step (a key per step), once per other event (no key). */
export function replyKey(event: EngineEvent): string | null {
  return event.type === 'step.finished' || event.type === 'step.failed' ? `${event.type}:${event.step}` : null;
}
