// The SSH connection of service-update: to the host wait-ssh saw, accepting only the host key it
// pinned, and opened again when a recipe command took it down (a restarted sshd, a network blip).
import { waitForSsh, type SshAttempt, type SshSession, type Sleep } from '../../../ssh/index.ts';
import type { SshAccess } from './ssh-access.ts';

const CONNECT_TIMEOUT_MS = 10_000;
/** The host was up a moment ago: a short wait covers an sshd restart, a longer one hides a dead host. */
const RECONNECT_ATTEMPTS = 6;
const RECONNECT_INTERVAL_MS = 5_000;

export interface PinnedConnectionOptions {
  access: SshAccess;
  /** `SHA256:...` from wait-ssh. */
  hostKey: string;
  signal: AbortSignal;
  sleep: Sleep;
  log: (line: string) => void;
}

export class PinnedConnection {
  readonly #opts: PinnedConnectionOptions;
  #session: SshSession | null = null;

  constructor(opts: PinnedConnectionOptions) {
    this.#opts = opts;
  }

  /** The open session; connects (again) when there is none. */
  async session(): Promise<SshSession> {
    if (this.#session?.isOpen) return this.#session;
    const again = this.#session !== null;
    const { access, hostKey, signal, sleep, log } = this.#opts;
    if (again) log(`the SSH connection to ${access.host}:${access.port} closed; connecting again`);
    this.#session = await waitForSsh({
      ...access,
      pinnedHostKey: hostKey,
      timeoutMs: CONNECT_TIMEOUT_MS,
      signal,
      attempts: RECONNECT_ATTEMPTS,
      intervalMs: RECONNECT_INTERVAL_MS,
      sleep,
      onAttempt: (a: SshAttempt) => {
        if (a.reason !== undefined) log(`${access.host}:${access.port} not reachable (attempt ${a.attempt} of ${a.attempts}): ${a.reason}`);
      },
    });
    return this.#session;
  }

  async close(): Promise<void> {
    await this.#session?.close();
    this.#session = null;
  }
}
