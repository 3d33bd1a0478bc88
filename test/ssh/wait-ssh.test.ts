import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostKeyMismatchError, SshAuthRefusedError, SshUnreachableError } from '../../src/ssh/errors.ts';
import type { SshSession } from '../../src/ssh/session.ts';
import { waitForSsh, type SshAttempt, type WaitForSshOptions } from '../../src/ssh/wait-ssh.ts';
import { freePort, startSshd, type TestSshd } from '../support/sshd.ts';
import { startForwarder, type Listening } from '../support/tcp.ts';
import { generateKey } from '../fakes/cloud/keys.ts';

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
    expect(failures.every((a) => a.reason === 'connection refused (ECONNREFUSED)')).toBe(true);
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
    expect((error as Error).message).toMatch(new RegExp(`^SSH on 127\\.0\\.0\\.1:${port} did not answer after 3 attempts over \\d+(\\.\\d)?m?s: connection refused \\(ECONNREFUSED\\)$`));
    expect(error).toMatchObject({ attempts: 3, lastReason: 'connection refused (ECONNREFUSED)' });
    expect(seen.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // A pause between attempts, none after the last.
    expect(pauses).toEqual([10_000, 10_000]);
  });

  it('keeps retrying while the key is refused (cloud-init has not written it yet), within the bound', async () => {
    const notYet = generateKey('ed25519').privateKey;
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
    // 100 attempts 5 s apart would outlast the test: only the abort can end it, with its reason.
    await expect(waitForSsh(options({ port, attempts: 100, intervalMs: 5_000, signal: controller.signal }))).rejects.toBe(reason);
  });

  describe('authFailFastMs', () => {
    /** A clock that only the sleeps between attempts move, as the pipeline's fake clock does. */
    function fakeTime() {
      let t = 0;
      return { now: () => t, sleep: async (ms: number) => void (t += ms) };
    }

    it('gives up once the key has been refused for the window, naming the refusal', async () => {
      const wrongKey = generateKey('ed25519').privateKey;
      const time = fakeTime();
      const seen: SshAttempt[] = [];
      const error = await waitForSsh(options({ privateKey: wrongKey, attempts: 100, intervalMs: 5_000, authFailFastMs: 15_000, ...time, onAttempt: (a) => seen.push(a) })).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(SshAuthRefusedError);
      expect((error as Error).message).toBe(`SSH on 127.0.0.1:${sshd.port} kept refusing the key for ${sshd.username} for 15s (attempt 4): authentication refused`);
      // Refused at 0, 5, 10 and 15 s of the clock: the fourth refusal closes the window, far from the 100-attempt bound.
      expect(seen.map((a) => a.kind)).toEqual(['auth', 'auth', 'auth', 'auth']);
      expect(time.now()).toBe(15_000);
    });

    it('keeps waiting while refusals stop within the window (cloud-init wrote the key)', async () => {
      const time = fakeTime();
      const opts = options({ privateKey: generateKey('ed25519').privateKey, attempts: 10, intervalMs: 5_000, authFailFastMs: 15_000, ...time });
      // The key is accepted from the third attempt on: the host was only late.
      opts.onAttempt = (a) => {
        if (a.attempt === 2) opts.privateKey = sshd.privateKey;
      };
      const session = await waitForSsh(opts);
      sessions.push(session);
      expect(session.hostKey).toBe(sshd.hostKeyFingerprint);
      expect(time.now()).toBe(10_000);
    });

    it('counts the window from the first refusal of an unbroken run, not from the first attempt', async () => {
      const port = await freePort();
      const time = fakeTime();
      const opts = options({ port, privateKey: generateKey('ed25519').privateKey, attempts: 100, intervalMs: 5_000, authFailFastMs: 15_000, ...time });
      const forwarders: Promise<Listening>[] = [];
      // Connection refused for the first 3 attempts (0-10 s), then sshd is up and refuses the key.
      opts.onAttempt = (a) => {
        if (a.attempt === 3) forwarders.push(startForwarder(sshd.port, port));
      };
      const error = await waitForSsh(opts).catch((e: unknown) => e);
      servers.push(...(await Promise.all(forwarders)));
      expect(error).toBeInstanceOf(SshAuthRefusedError);
      // First refusal at 15 s, window closes at 30 s.
      expect(time.now()).toBe(30_000);
    });
  });
});
