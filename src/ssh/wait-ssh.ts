// Waiting for a freshly launched host: sshd refuses connections while it boots, then hangs
// up mid-handshake while it starts, then refuses the key until cloud-init has written it.
// All of that is retried, within a bound; a changed host key is not.

import { formatDuration } from '../domain/duration.ts';
import { connectSsh, type ConnectOptions } from './connect.ts';
import { SshConnectError, SshUnreachableError } from './errors.ts';
import type { SshSession } from './session.ts';
import { abortableSleep, type Sleep } from './sleep.ts';

export interface SshAttempt {
  attempt: number;
  attempts: number;
  /** Why this attempt failed; absent for the attempt that connected. */
  reason?: string;
}

export interface WaitForSshOptions extends ConnectOptions {
  /** At most this many connection attempts (at least 1). */
  attempts: number;
  /** Pause after each failed attempt. */
  intervalMs: number;
  onAttempt?: (attempt: SshAttempt) => void;
  /** Injectable for tests; must reject with `signal.reason` when aborted. */
  sleep?: Sleep;
}

/** The connected session; `session.hostKey` is the fingerprint to pin for the rest of the run. */
export async function waitForSsh(opts: WaitForSshOptions): Promise<SshSession> {
  const attempts = Math.max(1, Math.floor(opts.attempts));
  const sleep = opts.sleep ?? abortableSleep;
  const started = performance.now();
  let lastReason = 'no attempt made';

  for (let attempt = 1; attempt <= attempts; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      const session = await connectSsh(opts);
      opts.onAttempt?.({ attempt, attempts });
      return session;
    } catch (err) {
      // Anything but "not up yet" (a changed host key, an unusable private key, a cancel) ends the wait.
      if (!(err instanceof SshConnectError)) throw err;
      lastReason = err.reason;
      opts.onAttempt?.({ attempt, attempts, reason: lastReason });
    }
    if (attempt < attempts) await sleep(opts.intervalMs, opts.signal);
  }

  const elapsed = formatDuration(performance.now() - started);
  throw new SshUnreachableError(
    `SSH on ${opts.host}:${opts.port} did not answer after ${attempts} attempt${attempts === 1 ? '' : 's'} over ${elapsed}: ${lastReason}`,
    attempts,
    lastReason,
  );
}
