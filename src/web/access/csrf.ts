// CSRF tokens for the dashboard's forms (@fastify/csrf, the pillarjs algorithm): a per-session secret
// in the encrypted session cookie, a fresh token in each form, checked on every POST. The session
// cookie is also SameSite=Lax, so a cross-site POST does not even carry it.
import Tokens from '@fastify/csrf';
import type { Session } from './session.ts';

const tokens = Tokens();

/** A token for the session's forms; gives the session a secret first when it has none (the caller saves). */
export function csrfToken(session: Session): { token: string; created: boolean } {
  let created = false;
  if (!session.csrf) {
    session.csrf = tokens.secretSync();
    created = true;
  }
  return { token: tokens.create(session.csrf), created };
}

export function csrfValid(session: Session, token: unknown): boolean {
  return typeof token === 'string' && token !== '' && typeof session.csrf === 'string' && tokens.verify(session.csrf, token);
}
