// Waiting for a freshly launched host: sshd refuses connections while it boots, then hangs
// up mid-handshake while it starts, then refuses the key until cloud-init has written it.
// All of that is retried, within a bound; a changed host key is not, and a key refused for
// longer than a boot explains (authFailFastMs) ends the wait early.

import { formatDuration } from '../domain/duration.ts';
import { connectSsh, type ConnectOptions } from './connect.ts';
import { SshAuthRefusedError, SshConnectError, SshUnreachableError, type ConnectFailureKind } from './errors.ts';
import type { SshSession } from './session.ts';
import { abortableSleep, type Sleep } from './sleep.ts';

export interface SshAttempt {
  attempt: number;
  attempts: number;
  /** Why this attempt failed; absent for the attempt that connected. */
  reason?: string;
  kind?: ConnectFailureKind;
}

export interface WaitForSshOptions extends ConnectOptions {
  /** At most this many connection attempts (at least 1). */
  attempts: number;
  /** Pause after each failed attempt. */
  intervalMs: number;
  /**
   * Give up once every attempt for this long (from the first refusal of an unbroken run of them) was
   * an authentication refusal. Absent: refusals are retried like any other failure, within the bound.
   */
  authFailFastMs?: number;
  onAttempt?: (attempt: SshAttempt) => void;
  /** Injectable for tests; must reject with `signal.reason` when aborted. */
  sleep?: Sleep;
  /** Milliseconds on the clock `sleep` moves (the fail-fast window and the elapsed time are measured on it). */
  now?: () => number;
}

/** The connected session; `session.hostKey` is the fingerprint to pin for the rest of the run. */
export async function waitForSsh(opts: WaitForSshOptions): Promise<SshSession> {
  const attempts = Math.max(1, Math.floor(opts.attempts));
  const sleep = opts.sleep ?? abortableSleep;
  const now = opts.now ?? (() => performance.now());
  const started = now();
  const address = `${opts.host}:${opts.port}`;
  let lastReason = 'no attempt made';
  /** When the current unbroken run of authentication refusals began. */
  let refusedSince: number | null = null;

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
      opts.onAttempt?.({ attempt, attempts, reason: lastReason, kind: err.kind });
      if (err.kind !== 'auth') refusedSince = null;
      else {
        refusedSince ??= now();
        const refusedFor = now() - refusedSince;
        if (opts.authFailFastMs !== undefined && refusedFor >= opts.authFailFastMs) {
          throw new SshAuthRefusedError(
            `SSH on ${address} kept refusing the key for ${opts.username} for ${formatDuration(refusedFor)} (attempt ${attempt}): ${lastReason}`,
            attempt,
            lastReason,
          );
        }
      }
    }
    if (attempt < attempts) await sleep(opts.intervalMs, opts.signal);
  }

  const elapsed = formatDuration(now() - started);
  throw new SshUnreachableError(
    `SSH on ${address} did not answer after ${attempts} attempt${attempts === 1 ? '' : 's'} over ${elapsed}: ${lastReason}`,
    attempts,
    lastReason,
  );
}
