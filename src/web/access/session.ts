// The dashboard's session: an encrypted, signed cookie (iron-session), so any replica reads it and the
// server keeps nothing. It holds who signed in, the CSRF secret, and a sign-in under way.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getIronSession, type IronSession } from 'iron-session';

export interface SessionData {
  user?: { requester: string; name: string; via: 'github' };
  /** The CSRF secret the page's tokens are made from (csrf.ts). */
  csrf?: string;
  /** A GitHub sign-in under way: the state it must come back with, and where to go after. */
  oauth?: { state: string; returnTo: string };
}

export type Session = IronSession<SessionData>;

export interface SessionSettings {
  /** At least 32 characters. */
  secret: string;
  ttlMs: number;
  /** Secure cookies (the dashboard is served over https). */
  secure: boolean;
}

export const SESSION_COOKIE = 'stagebot_session';

export function sessionReader(settings: SessionSettings, onUnsealError?: (reason: string) => void) {
  const options = {
    cookieName: SESSION_COOKIE,
    password: settings.secret,
    ttl: Math.max(120, Math.round(settings.ttlMs / 1000)),
    cookieOptions: { httpOnly: true, sameSite: 'lax' as const, secure: settings.secure, path: '/' },
    ...(onUnsealError ? { onUnsealError } : {}),
  };
  return (req: IncomingMessage, res: ServerResponse): Promise<Session> => getIronSession<SessionData>(req, res, options);
}
