// SSH failures that end up in a run's report: each message is the one line a person reads.

import { UserError } from '../errors.ts';

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

/** One connection attempt failed; `reason` is short (`ECONNREFUSED`, `authentication not ready`...). */
export class SshConnectError extends SshError {
  override readonly name = 'SshConnectError';
  readonly reason: string;
  constructor(address: string, reason: string) {
    super(`SSH to ${address} failed: ${reason}`);
    this.reason = reason;
  }
}

/** waitForSsh gave up after its bound. */
export class SshUnreachableError extends SshError {
  override readonly name = 'SshUnreachableError';
  readonly attempts: number;
  readonly lastReason: string;
  constructor(message: string, attempts: number, lastReason: string) {
    super(message);
    this.attempts = attempts;
    this.lastReason = lastReason;
  }
}

/** A command could not be started or its connection went away. */
export class SshExecError extends SshError {
  override readonly name = 'SshExecError';
}
