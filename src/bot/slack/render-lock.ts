// Who holds an environment, as every Slack message says it: a person's lock with its reason and
// since when, or the run using it.
import type { EnvLock } from '../../domain/lock.ts';
import { code, esc, when, who } from './mrkdwn.ts';

/** `locked by @alice since <time>: db migration` / `in use by run `stg2-…` since <time>`. */
export function lockText(lock: EnvLock): string {
  if (lock.holderKind === 'run') return `in use by run ${code(lock.holder)} since ${when(lock.since)}`;
  return `locked by ${who(lock.holder)} since ${when(lock.since)}${lock.reason ? `: ${esc(lock.reason)}` : ''}`;
}
