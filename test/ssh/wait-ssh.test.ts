import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ssh2 from 'ssh2';
import { HostKeyMismatchError, SshUnreachableError } from '../../src/ssh/errors.ts';
import type { SshSession } from '../../src/ssh/session.ts';
import { waitForSsh, type SshAttempt, type WaitForSshOptions } from '../../src/ssh/wait-ssh.ts';
import { freePort, startSshd, type TestSshd } from '../support/sshd.ts';
import { startForwarder, type Listening } from '../support/tcp.ts';

let sshd: TestSshd;
const sessions: SshSession[] = [];
const servers: Listening[] = [];

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await Promise.all(servers.map((s) => s.close()));
  await sshd?.stop();
});

function options(extra: Partial<WaitForSshOptions>): WaitForSshOptions {
  return {
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKey: sshd.privateKey,
    timeoutMs: 3_000,
    attempts: 5,
    intervalMs: 50,
    ...extra,
  };
}

describe('waitForSsh', () => {
  it('retries while the port is closed and connects once sshd answers', async () => {
    const port = await freePort();
    const seen: SshAttempt[] = [];
    // sshd "comes up" 600 ms in: a forwarder to the real sshd starts listening on the waited-for port.
    setTimeout(() => void startForwarder(sshd.port, port).then((s) => servers.push(s)), 600);
    const session = await waitForSsh(options({ port, attempts: 40, intervalMs: 100, onAttempt: (a) => seen.push(a) }));
    sessions.push(session);

    expect(session.hostKey).toBe(sshd.hostKeyFingerprint);
    const failures = seen.filter((a) => a.reason !== undefined);
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures.every((a) => a.reason === 'ECONNREFUSED')).toBe(true);
    expect(seen.at(-1)).toEqual({ attempt: seen.length, attempts: 40 });
    expect(seen.length).toBeLessThan(40);
  });

  it('gives up after the bound with one line naming the host, the bound and the last reason', async () => {
    const port = await freePort();
    const seen: SshAttempt[] = [];
    const pauses: number[] = [];
    const sleep = async (ms: number) => {
      pauses.push(ms);
    };
    const error = await waitForSsh(options({ port, attempts: 3, intervalMs: 10_000, sleep, onAttempt: (a) => seen.push(a) })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SshUnreachableError);
    expect((error as Error).message).toMatch(new RegExp(`^SSH on 127\\.0\\.0\\.1:${port} did not answer after 3 attempts over \\d+(\\.\\d)?m?s: ECONNREFUSED$`));
    expect(error).toMatchObject({ attempts: 3, lastReason: 'ECONNREFUSED' });
    expect(seen.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // A pause between attempts, none after the last.
    expect(pauses).toEqual([10_000, 10_000]);
  });

  it('keeps retrying while the key is refused (cloud-init has not written it yet), within the bound', async () => {
    const notYet = ssh2.utils.generateKeyPairSync('ed25519').private;
    const error = await waitForSsh(options({ privateKey: notYet, attempts: 2, intervalMs: 10 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshUnreachableError);
    expect((error as Error).message).toMatch(/did not answer after 2 attempts over .*: authentication refused$/);
  });

  it('does not retry a changed host key', async () => {
    const seen: SshAttempt[] = [];
    const error = await waitForSsh(options({ pinnedHostKey: 'SHA256:' + 'A'.repeat(43), attempts: 5, onAttempt: (a) => seen.push(a) })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    expect(seen).toEqual([]);
  });

  it('stops waiting when aborted, with the abort reason', async () => {
    const port = await freePort();
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    setTimeout(() => controller.abort(reason), 150);
    const started = performance.now();
    await expect(waitForSsh(options({ port, attempts: 100, intervalMs: 5_000, signal: controller.signal }))).rejects.toBe(reason);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
