// SSH failures that end up in a run's report: each message is the one line a person reads.

import { UserError } from '../errors.ts';

/** What kind of failure a connection attempt was: `auth` may mean a wrong key rather than a slow boot. */
export type ConnectFailureKind = 'auth' | 'network' | 'timeout' | 'closed' | 'other';

export class SshError extends UserError {
  override readonly name: string = 'SshError';
}

/** The host answered with a different key than the one pinned earlier in the run. Never retried. */
export class HostKeyMismatchError extends SshError {
  override readonly name = 'HostKeyMismatchError';
  readonly expected: string;
  readonly got: string;
  constructor(address: string, expected: string, got: string) {
    super(`host key of ${address} changed (expected ${expected}, got ${got}); refusing to connect`);
    this.expected = expected;
    this.got = got;
  }
}

/** One connection attempt failed; `reason` is short (`connection refused (ECONNREFUSED)`, `authentication refused`...). */
export class SshConnectError extends SshError {
  override readonly name = 'SshConnectError';
  readonly reason: string;
  readonly kind: ConnectFailureKind;
  constructor(address: string, reason: string, kind: ConnectFailureKind = 'other') {
    super(`SSH to ${address} failed: ${reason}`);
    this.reason = reason;
    this.kind = kind;
  }
}

/** waitForSsh gave up after its bound. */
export class SshUnreachableError extends SshError {
  override readonly name: string = 'SshUnreachableError';
  readonly attempts: number;
  readonly lastReason: string;
  constructor(message: string, attempts: number, lastReason: string) {
    super(message);
    this.attempts = attempts;
    this.lastReason = lastReason;
  }
}

/**
 * The host answered but kept refusing the key for longer than a booting host plausibly would (its
 * cloud-init writes the key within a minute or so): a wrong key or user, not a slow boot.
 */
export class SshAuthRefusedError extends SshUnreachableError {
  override readonly name = 'SshAuthRefusedError';
}

/** A command could not be started or its connection went away. */
export class SshExecError extends SshError {
  override readonly name = 'SshExecError';
}
