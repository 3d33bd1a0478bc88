// `stagebot:requested-by` values: `<source>:<id>`, where the id comes from outside (a Slack user id,
// a GitHub login, a Unix user name) and is reduced to characters that are safe in tags and logs.
import type { Requester, Source } from './run.ts';

export function sanitizeRequester(source: Source, id: string): Requester {
  const clean = id.replace(/[^A-Za-z0-9_.@-]/g, '_').slice(0, 64) || 'unknown';
  return `${source}:${clean}`;
}
