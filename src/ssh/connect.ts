// One SSH connection attempt, with host-key pinning: the first connection of a run accepts
// the host's key and reports its fingerprint; every later one must see the same key.

import { NodeSSH } from 'node-ssh';
import { formatDuration } from '../domain/duration.ts';
import { HostKeyMismatchError, SshConnectError, SshError } from './errors.ts';
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

/** Socket errors worth naming as they are: people search for these codes. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** Short reason for a failed attempt, e.g. `ECONNREFUSED` or `authentication refused`. */
export function connectFailureReason(err: unknown, timeoutMs: number): string {
  const e = err as { code?: unknown; level?: unknown; message?: unknown };
  if (typeof e.code === 'string' && SOCKET_CODES.has(e.code) && e.level === 'client-socket') return e.code;
  if (e.level === 'client-authentication') return 'authentication refused';
  if (e.level === 'client-timeout') return `no SSH handshake within ${formatDuration(timeoutMs)}`;
  const message = typeof e.message === 'string' ? e.message : String(err);
  // node-ssh's wording when the server hangs up before the handshake ends (sshd still starting).
  if (message === 'No response from server') return 'connection closed during the handshake';
  if (typeof e.code === 'string' && SOCKET_CODES.has(e.code)) return e.code;
  return message.split('\n')[0] ?? message;
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
    throw new SshConnectError(address, connectFailureReason(err, opts.timeoutMs));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }

  const client = ssh.connection;
  if (client === null || presented === null) {
    ssh.dispose();
    throw new SshConnectError(address, 'the connection closed right after it opened');
  }
  if (opts.signal?.aborted) {
    ssh.dispose();
    throw opts.signal.reason;
  }
  return new SshSession(ssh, client, opts, presented);
}
