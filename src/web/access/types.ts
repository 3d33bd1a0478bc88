// Who is looking at the dashboard, and the answer when nobody may.
import type { Requester } from '../../domain/run.ts';

export interface Viewer {
  /** `github:octocat` or `web:alice` once signed in; null for an anonymous reader. */
  requester: Requester | null;
  /** What the page calls them. */
  name: string;
  via: 'anonymous' | 'github' | 'proxy';
  /** Listed in dashboard.admins: may act on anyone's runs and locks, and reap. */
  admin: boolean;
}

/** Why a request may not go on, as an HTTP answer: the status, one line, and where to sign in (if anywhere). */
export interface Refusal {
  refused: true;
  status: 400 | 401 | 403 | 503;
  message: string;
  /** A path that signs the person in and comes back (GitHub sign-in). */
  signIn?: string;
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && (value as { refused?: unknown }).refused === true;
}

export function refuse(status: Refusal['status'], message: string, signIn?: string): Refusal {
  return { refused: true, status, message, ...(signIn ? { signIn } : {}) };
}
