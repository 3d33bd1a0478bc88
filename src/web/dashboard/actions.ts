// The buttons on the pages: each is a verb of the command language, carried out by the command
// executor for the signed-in person (the Actor), so the dashboard can do nothing chat could not and
// the permission rules are the executor's. Every POST needs the page's CSRF token.
import type { IncomingMessage } from 'node:http';
import { parseArgv } from '../../commands/index.ts';
import type { Command } from '../../commands/index.ts';
import { UserError } from '../../errors.ts';
import type { DashboardCommands } from './ports.ts';

const MAX_FORM_BYTES = 16 * 1024;

/** The urlencoded form of a POST (bounded), or a UserError that says what was wrong. */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = String(req.headers['content-type'] ?? '');
  if (!type.startsWith('application/x-www-form-urlencoded')) throw new UserError('expected a form (application/x-www-form-urlencoded)');
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new UserError(`the form is larger than ${MAX_FORM_BYTES} bytes`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export type ActionName = 'cancel' | 'extend' | 'teardown' | 'unlock' | 'reap';

/** What a button asks for, as a Command the one parser built (so a bad run id or duration is refused as in chat). */
export async function commandFor(commands: DashboardCommands, action: ActionName, target: string, form: URLSearchParams): Promise<Command> {
  const config = commands.config;
  const ctx = { environments: Object.keys(config.environments), browsers: Object.keys(config.browsers), keepMaxMs: config.runs.keepMax };
  switch (action) {
    case 'cancel':
    case 'teardown':
      return parseArgv([action, target], ctx);
    case 'extend':
      return parseArgv(['extend', target, `--by=${form.get('by') ?? ''}`], ctx);
    case 'unlock':
      return parseArgv(['unlock', target], ctx);
    case 'reap': {
      // The person reaps what they looked at: a newer sweep may list other things.
      const latest = (await commands.orphans(1)).lastSweep;
      const asked = form.get('sweep') ?? '';
      if (!latest || String(latest.id) !== asked) {
        throw new UserError(`the list you reaped from (sweep #${asked || '?'}) has been replaced by sweep #${latest?.id ?? '?'}; look at it, then reap again`);
      }
      return parseArgv(['sweep', '--reap', '--confirm'], ctx);
    }
  }
}

/** Where to go after the action, with the word the page shows. */
export function afterAction(action: ActionName, target: string): string {
  switch (action) {
    case 'unlock':
      return `/?done=unlocked&env=${encodeURIComponent(target)}`;
    case 'reap':
      return '/orphans?done=reaped';
    default:
      return `/runs/${encodeURIComponent(target)}?done=${action === 'cancel' ? 'cancelled' : action === 'extend' ? 'extended' : 'torn-down'}`;
  }
}

/** The notice for `?done=` after a redirect (fixed texts: the query cannot put words on the page). */
export function doneNotice(params: URLSearchParams, subject: string): string | null {
  switch (params.get('done')) {
    case 'cancelled':
      return `Cancel asked: ${subject} is being torn down.`;
    case 'extended':
      return `${subject} is kept longer.`;
    case 'torn-down':
      return `${subject} is being torn down.`;
    case 'unlocked': {
      const env = params.get('env') ?? '';
      return /^[a-z][a-z0-9-]{0,31}$/.test(env) ? `${env} is unlocked.` : 'Unlocked.';
    }
    case 'reaped':
      return 'Reap finished: the sweep below is its result.';
    default:
      return null;
  }
}
