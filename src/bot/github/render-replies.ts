// stagebot's answers to a command comment that did not start a run: help, bad input, a refusal.
import type { DryRunReport } from '../../commands/executor.ts';
import { code, escapeMarkdown } from './markdown.ts';

const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;

/** `@login` for a real GitHub login (the reply should notify the commenter); escaped text otherwise. */
export function mention(login: string): string {
  return LOGIN.test(login) ? `@${login}` : escapeMarkdown(login);
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
  const lines = report.checks.map((c) => `- ${c.ok ? '✅' : '❌'} ${escapeMarkdown(c.check)}: ${escapeMarkdown(c.detail)}`);
  return [`**Dry run of ${code(env)}:** ${report.ok ? 'everything a launch needs is in place' : 'a launch would fail'}`, '', ...lines].join('\n');
}

export function cancelReply(runIds: readonly string[]): string {
  return runIds.length === 1 ? `Cancelling run ${code(runIds[0] ?? '')}; its environment is torn down.` : `Cancelling runs ${runIds.map((id) => code(id)).join(', ')}; their environments are torn down.`;
}
