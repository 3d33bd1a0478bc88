// The test sshd stands in for a launched host. Its sessions find a `shutdown` that only records
// its call first on PATH: tests of the dead man's switch (and anything else) may run `shutdown`
// as root on this machine without powering it off.
import { describe, expect, it } from 'vitest';
import { connectSsh } from '../../src/ssh/connect.ts';
import { availableSshdKind, startSshd, type SshdKind } from '../support/sshd.ts';

const kinds: SshdKind[] = availableSshdKind() === 'openssh' ? ['openssh', 'ssh2'] : ['ssh2'];

describe.each(kinds)('the test host (%s)', (kind) => {
  it('records shutdown calls instead of making them, through sudo or not, and can be told to refuse them', async () => {
    const sshd = await startSshd({ kind });
    const session = await connectSsh({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, timeoutMs: 5_000 });
    try {
      const where = await session.exec('command -v shutdown', { timeoutMs: 5_000 });
      expect(where.stdoutTail.trim()).toMatch(/stagebot-host-.*\/bin\/shutdown$/);
      expect((await session.exec('shutdown -h +5 "bye now"', { timeoutMs: 5_000 })).code).toBe(0);
      expect((await session.exec('sudo -n shutdown -h +7', { timeoutMs: 5_000 })).code).toBe(0);
      expect(await sshd.shutdownCalls()).toEqual(['-h +5 bye now', '-h +7']);

      await sshd.failShutdown('sudo: a password is required');
      const refused = await session.exec('sudo -n shutdown -h +9', { timeoutMs: 5_000 });
      expect(refused).toMatchObject({ code: 1, stderrTail: 'sudo: a password is required\n' });
      expect(await sshd.shutdownCalls()).toHaveLength(2);
    } finally {
      await session.close();
      await sshd.stop();
    }
  });
});
