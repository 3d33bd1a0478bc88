// An open SSH connection to one host, with the host key it proved it holds.

import type { NodeSSH } from 'node-ssh';
import type { Client } from 'ssh2';
import { SshExecError } from './errors.ts';
import { runCommand, type ExecOptions, type ExecResult } from './exec.ts';

export interface SshTarget {
  host: string;
  port: number;
  username: string;
}

/** What recipe steps need from a session; lets a step be driven by a fake in unit tests. */
export interface RemoteExec {
  exec(command: string, opts: ExecOptions): Promise<ExecResult>;
}

export class SshSession implements RemoteExec {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  /** `SHA256:...` of the key the host presented: pin it for every later connection of the run. */
  readonly hostKey: string;
  readonly #ssh: NodeSSH;
  readonly #client: Client;
  readonly #closed: Promise<void>;
  #open = true;

  constructor(ssh: NodeSSH, client: Client, target: SshTarget, hostKey: string) {
    this.#ssh = ssh;
    this.#client = client;
    this.host = target.host;
    this.port = target.port;
    this.username = target.username;
    this.hostKey = hostKey;
    this.#closed = new Promise((resolve) => {
      client.once('close', () => {
        this.#open = false;
        resolve();
      });
    });
    // node-ssh stops listening for errors once connected; an unheard 'error' would crash the process.
    // The 'close' that follows every error is what marks the session as gone.
    client.on('error', () => undefined);
  }

  /** `203.0.113.5:22`, as messages name the host. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  exec(command: string, opts: ExecOptions): Promise<ExecResult> {
    if (!this.#open) return Promise.reject(new SshExecError(`the SSH connection to ${this.address} is closed`));
    return runCommand(this.#client, this.address, command, opts);
  }

  async close(): Promise<void> {
    if (!this.#open) return;
    this.#ssh.dispose();
    let timer: NodeJS.Timeout | undefined;
    // A host that vanished never acknowledges the disconnect: do not wait for it forever.
    await Promise.race([this.#closed, new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
    this.#client.destroy();
    this.#open = false;
  }
}
