// stagebot's answers to a command comment that did not start a run: help, bad input, a refusal.
import type { DryRunReport } from '../../commands/executor.ts';
import type { Run } from '../../domain/run.ts';
import { code, escapeMarkdown, link } from './markdown.ts';
import type { RunLink } from './run-links.ts';

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/** `@login` for a real GitHub login (the reply should notify the commenter); escaped text otherwise. */
export function mention(login: string): string {
  return LOGIN.test(login) ? `@${login}` : escapeMarkdown(login);
}

/** Who did something: `@login` for a GitHub requester (GitHub links and notifies it), escaped text otherwise. */
export function person(requester: string): string {
  return requester.startsWith('github:') ? mention(requester.slice('github:'.length)) : escapeMarkdown(requester);
}

/** Our own messages may hold code spans (echoed input is made safe by the parser); one line only. */
function messageLine(message: string): string {
  return message.replace(/[\r\n]+/g, ' ').trim();
}

function helpBlock(help: string): string {
  return ['```text', help.replaceAll('```', "'''"), '```'].join('\n');
}

export function helpReply(help: string): string {
  return helpBlock(help);
}

export function badInputReply(login: string, message: string, help: string): string {
  return [`${mention(login)} ❌ ${messageLine(message)}`, '', helpBlock(help)].join('\n');
}

export function refusalReply(login: string, reason: string): string {
  return `${mention(login)} 🚫 stagebot did not run this: ${messageLine(reason)}`;
}

export function errorReply(login: string, message: string): string {
  return `${mention(login)} ❌ ${messageLine(message)}`;
}

export function dryRunReply(env: string, report: DryRunReport): string {
  const lines = report.checks.map((c) => `- ${c.info ? 'ℹ️' : c.ok ? '✅' : '❌'} ${escapeMarkdown(c.check)}: ${escapeMarkdown(c.detail)}`);
  return [`**Dry run of ${code(env)}:** ${report.ok ? 'everything a launch needs is in place' : 'a launch would fail'}`, '', ...lines].join('\n');
}

export function cancelReply(runIds: readonly string[]): string {
  return runIds.length === 1 ? `Cancelling run ${code(runIds[0] ?? '')}; its environment is torn down.` : `Cancelling runs ${runIds.map((id) => code(id)).join(', ')}; their environments are torn down.`;
}

/**
 * The answer to `/e2e` on a pull request whose run is still going: which run, where to follow it,
 * and how to stop it or start again. Nothing new was started.
 */
export function alreadyRunningReply(login: string, run: Run, where: Pick<RunLink, 'commentUrl' | 'checkRunUrl'> | null): string {
  const state =
    run.state === 'kept'
      ? `kept on ${escapeMarkdown(run.env ?? '?')}${run.expiresAt ? ` until ${run.expiresAt.toISOString()}` : ''}`
      : run.state === 'queued'
        ? 'queued'
        : `${run.state === 'running' ? 'running' : escapeMarkdown(run.state)} on ${escapeMarkdown(run.env ?? '?')}`;
  const links = [where?.commentUrl ? link('its progress', where.commentUrl) : null, where?.checkRunUrl ? link('check run', where.checkRunUrl) : null].filter((l) => l !== null);
  return [
    `${mention(login)} ⏳ this pull request already has a run going, so no second one was started: ${code(run.id)} (${state}, requested by ${person(run.requester)})${links.length ? ` · ${links.join(' · ')}` : ''}.`,
    '',
    `To stop it, comment \`/e2e cancel\` (its environment is torn down). To re-run, comment \`/e2e\` again once it has stopped (for example, on a newer commit).`,
  ].join('\n');
}
