// One SSH connection attempt, with host-key pinning: the first connection of a run accepts
// the host's key and reports its fingerprint; every later one must see the same key.

import { NodeSSH } from 'node-ssh';
import { formatDuration } from '../domain/duration.ts';
import { HostKeyMismatchError, SshConnectError, SshError, type ConnectFailureKind } from './errors.ts';
import { fingerprintOfKeyBlob, normalizeFingerprint } from './fingerprint.ts';
import { SshSession } from './session.ts';

export interface ConnectOptions {
  host: string;
  port: number;
  username: string;
  /** PEM or OpenSSH private key text. */
  privateKey: string;
  /** `SHA256:...` from an earlier connection of this run; absent on the first one. */
  pinnedHostKey?: string;
  /** Bound on TCP connect + handshake + authentication. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Socket errors, in words a person reads first and with the code people search for:
 * `connection refused (ECONNREFUSED)`.
 */
const SOCKET_WORDS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'no route to the network',
  EHOSTDOWN: 'host is down',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  EPIPE: 'connection closed',
};

export interface ConnectFailure {
  kind: ConnectFailureKind;
  /** Short and readable, e.g. `connection refused (ECONNREFUSED)` or `authentication refused`. */
  reason: string;
}

export function classifyConnectFailure(err: unknown, timeoutMs: number): ConnectFailure {
  const e = err as { code?: unknown; level?: unknown; message?: unknown };
  const socket = typeof e.code === 'string' ? SOCKET_WORDS[e.code] : undefined;
  if (socket !== undefined && e.level === 'client-socket') return { kind: 'network', reason: `${socket} (${e.code as string})` };
  if (e.level === 'client-authentication') return { kind: 'auth', reason: 'authentication refused' };
  if (e.level === 'client-timeout') return { kind: 'timeout', reason: `no SSH handshake within ${formatDuration(timeoutMs)}` };
  const message = typeof e.message === 'string' ? e.message : String(err);
  // node-ssh's wording when the server hangs up before the handshake ends (sshd still starting).
  if (message === 'No response from server') return { kind: 'closed', reason: 'connection closed during the handshake' };
  if (socket !== undefined) return { kind: 'network', reason: `${socket} (${e.code as string})` };
  return { kind: 'other', reason: message.split('\n')[0] ?? message };
}

/** Short reason for a failed attempt, e.g. `connection refused (ECONNREFUSED)` or `authentication refused`. */
export function connectFailureReason(err: unknown, timeoutMs: number): string {
  return classifyConnectFailure(err, timeoutMs).reason;
}

export async function connectSsh(opts: ConnectOptions): Promise<SshSession> {
  opts.signal?.throwIfAborted();
  const address = `${opts.host}:${opts.port}`;
  const pin = opts.pinnedHostKey === undefined ? null : normalizeFingerprint(opts.pinnedHostKey);
  let presented: string | null = null;

  const ssh = new NodeSSH();
  const connecting = ssh.connect({
    host: opts.host,
    port: opts.port,
    username: opts.username,
    privateKey: opts.privateKey,
    readyTimeout: opts.timeoutMs,
    // Long recipe steps print nothing for minutes; keepalives notice a host that is gone.
    keepaliveInterval: 15_000,
    keepaliveCountMax: 4,
    hostVerifier: (key: Buffer) => {
      presented = fingerprintOfKeyBlob(key);
      return pin === null || presented === pin;
    },
  });

  const onAbort = () => ssh.connection?.destroy();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await connecting;
  } catch (err) {
    ssh.connection?.destroy();
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (pin !== null && presented !== null && presented !== pin) throw new HostKeyMismatchError(address, pin, presented);
    if (/cannot parse privatekey|unsupported key format/i.test(String((err as Error).message))) {
      throw new SshError(`the SSH private key for ${address} cannot be used: ${(err as Error).message}`);
    }
    const failure = classifyConnectFailure(err, opts.timeoutMs);
    throw new SshConnectError(address, failure.reason, failure.kind);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  const client = ssh.connection;
  if (client === null || presented === null) {
    ssh.dispose();
    throw new SshConnectError(address, 'the connection closed right after it opened', 'closed');
  }
  if (opts.signal?.aborted) {
    ssh.dispose();
    throw opts.signal.reason;
  }
  return new SshSession(ssh, client, opts, presented);
}
