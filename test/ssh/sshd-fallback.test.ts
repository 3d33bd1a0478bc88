// The in-process ssh2 server that stands in where Debian's openssh-server is not installed:
// the adapter's core promises must hold against it too, or the fallback would hide bugs.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSsh } from '../../src/ssh/connect.ts';
import { HostKeyMismatchError } from '../../src/ssh/errors.ts';
import type { SshSession } from '../../src/ssh/session.ts';
import { processesMatching, uniqueSleep, waitUntilGone } from '../support/processes.ts';
import { startSshd, type TestSshd } from '../support/sshd.ts';

let sshd: TestSshd;
let session: SshSession;

beforeAll(async () => {
  sshd = await startSshd({ kind: 'ssh2' });
  session = await connectSsh({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, timeoutMs: 5_000 });
});
afterAll(async () => {
  await session?.close();
  await sshd?.stop();
});

describe('ssh2 fallback server', () => {
  it('says what it is and pins like OpenSSH', async () => {
    expect(sshd.kind).toBe('ssh2');
    expect(session.hostKey).toBe(sshd.hostKeyFingerprint);
    await expect(
      connectSsh({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, timeoutMs: 5_000, pinnedHostKey: `SHA256:${'B'.repeat(43)}` }),
    ).rejects.toBeInstanceOf(HostKeyMismatchError);
  });

  it('runs commands with exported variables and reports exit codes', async () => {
    const result = await session.exec(`printf '%s' "$STAGEBOT_REF"; echo oops >&2; exit 4`, { env: { STAGEBOT_REF: "a'b $(c)" }, timeoutMs: 5_000 });
    expect(result).toMatchObject({ code: 4, stdoutTail: "a'b $(c)", stderrTail: 'oops\n' });
  });

  it('lets an abort kill the remote command', async () => {
    const sleeper = uniqueSleep();
    const controller = new AbortController();
    const chunks: string[] = [];
    const running = session.exec(`echo started; ${sleeper.command}`, { timeoutMs: 30_000, signal: controller.signal, onOutput: (c) => chunks.push(c) });
    for (let i = 0; i < 100 && !chunks.join('').includes('started'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(processesMatching(sleeper.pattern).length).toBeGreaterThan(0);
    controller.abort(new Error('cancelled'));
    await expect(running).rejects.toThrow('cancelled');
    expect(await waitUntilGone(sleeper.pattern, 1_000)).toEqual([]);
  });
});
