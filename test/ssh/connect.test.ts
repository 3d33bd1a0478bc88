import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSsh, type ConnectOptions } from '../../src/ssh/connect.ts';
import { HostKeyMismatchError, SshConnectError, SshError } from '../../src/ssh/errors.ts';
import { fingerprintOfPublicKeyLine } from '../../src/ssh/fingerprint.ts';
import type { SshSession } from '../../src/ssh/session.ts';
import { freePort, startSshd, type TestSshd } from '../support/sshd.ts';
import { startSilentServer, type Listening } from '../support/tcp.ts';
import { generateKey } from '../fakes/cloud/keys.ts';

let sshd: TestSshd;
const sessions: SshSession[] = [];

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await sshd?.stop();
});

function options(extra: Partial<ConnectOptions> = {}): ConnectOptions {
  return { host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, timeoutMs: 5_000, ...extra };
}

async function connect(extra: Partial<ConnectOptions> = {}): Promise<SshSession> {
  const session = await connectSsh(options(extra));
  sessions.push(session);
  return session;
}

describe('connectSsh', () => {
  it('accepts the host key on the first connection and reports its fingerprint', async () => {
    const session = await connect();
    expect(session.hostKey).toBe(sshd.hostKeyFingerprint);
    expect(session.hostKey).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(session.address).toBe(`127.0.0.1:${sshd.port}`);
    expect(session.isOpen).toBe(true);
    await session.close();
    expect(session.isOpen).toBe(false);
  });

  it('connects when the pin matches, with or without the SHA256: prefix', async () => {
    const pinned = await connect({ pinnedHostKey: sshd.hostKeyFingerprint });
    expect(pinned.hostKey).toBe(sshd.hostKeyFingerprint);
    const bare = await connect({ pinnedHostKey: sshd.hostKeyFingerprint.slice('SHA256:'.length) });
    expect(bare.hostKey).toBe(sshd.hostKeyFingerprint);
  });

  it('refuses a host whose key differs from the pin, naming both fingerprints', async () => {
    const other = generateKey('ed25519');
    const otherFingerprint = fingerprintOfPublicKeyLine(other.publicKey);
    expect(otherFingerprint).not.toBe(sshd.hostKeyFingerprint);
    const error = await connect({ pinnedHostKey: otherFingerprint }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HostKeyMismatchError);
    expect((error as Error).message).toBe(
      `host key of 127.0.0.1:${sshd.port} changed (expected ${otherFingerprint}, got ${sshd.hostKeyFingerprint}); refusing to connect`,
    );
    expect(error).toMatchObject({ expected: otherFingerprint, got: sshd.hostKeyFingerprint });
  });

  it('reports a refused key as an authentication failure', async () => {
    const stranger = generateKey('ed25519').privateKey;
    const error = await connect({ privateKey: stranger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshConnectError);
    expect((error as Error).message).toBe(`SSH to 127.0.0.1:${sshd.port} failed: authentication refused`);
    expect((error as SshConnectError).kind).toBe('auth');
  });

  it('reports a closed port in words, with its socket error', async () => {
    const port = await freePort();
    const error = await connect({ port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshConnectError);
    expect(error).toMatchObject({ reason: 'connection refused (ECONNREFUSED)', kind: 'network' });
    expect((error as Error).message).toBe(`SSH to 127.0.0.1:${port} failed: connection refused (ECONNREFUSED)`);
  });

  it('refuses an unusable private key without calling it a network problem', async () => {
    const error = await connect({ privateKey: 'not a key' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SshError);
    expect(error).not.toBeInstanceOf(SshConnectError);
    expect((error as Error).message).toMatch(/^the SSH private key for 127\.0\.0\.1:\d+ cannot be used: /);
  });

  describe('against a host that accepts TCP but never speaks SSH', () => {
    let silent: Listening;
    beforeAll(async () => {
      silent = await startSilentServer();
    });
    afterAll(async () => {
      await silent?.close();
    });

    it('gives up after timeoutMs', async () => {
      const error = await connect({ port: silent.port, timeoutMs: 300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SshConnectError);
      expect((error as SshConnectError).reason).toBe('no SSH handshake within 300ms');
    });

    it('stops at once when aborted, with the abort reason', async () => {
      const controller = new AbortController();
      const reason = new Error('run cancelled');
      setTimeout(() => controller.abort(reason), 100);
      // The abort's own reason, not the handshake timeout's error: the abort ended it.
      await expect(connect({ port: silent.port, timeoutMs: 10_000, signal: controller.signal })).rejects.toBe(reason);
    });

    it('does not even dial when the signal is already aborted', async () => {
      const reason = new Error('already cancelled');
      await expect(connect({ port: silent.port, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    });
  });
});
