import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSsh } from '../../src/ssh/connect.ts';
import { SshExecError } from '../../src/ssh/errors.ts';
import { describeExit, type OutputStream } from '../../src/ssh/exec.ts';
import type { SshSession } from '../../src/ssh/session.ts';
import { ShellQuoteError } from '../../src/ssh/shell-quote.ts';
import { evilValues } from '../support/evil-values.ts';
import { processesMatching, uniqueSleep, waitUntilGone } from '../support/processes.ts';
import { startSshd, type TestSshd } from '../support/sshd.ts';
import { startForwarder } from '../support/tcp.ts';

let sshd: TestSshd;
let session: SshSession;
let canaryDir: string;

beforeAll(async () => {
  sshd = await startSshd();
  session = await connectSsh({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, timeoutMs: 5_000 });
  canaryDir = await mkdtemp(join(tmpdir(), 'stagebot-canary-'));
});
afterAll(async () => {
  await session?.close();
  await sshd?.stop();
  if (canaryDir) await rm(canaryDir, { recursive: true, force: true });
});

function collect() {
  const chunks: { chunk: string; stream: OutputStream }[] = [];
  return {
    chunks,
    onOutput: (chunk: string, stream: OutputStream) => chunks.push({ chunk, stream }),
    text: (stream: OutputStream) => chunks.filter((c) => c.stream === stream).map((c) => c.chunk).join(''),
  };
}

/** Resolves once `text` has appeared on stdout: the remote command is then surely running. */
function started(output: ReturnType<typeof collect>, text: string): Promise<void> {
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (output.text('stdout').includes(text)) {
        clearInterval(poll);
        resolve();
      }
    }, 10);
  });
}

describe('SshSession.exec', () => {
  it('passes chat values to the host only as environment variables, byte for byte and inert', async () => {
    const values = evilValues(canaryDir);
    const env = Object.fromEntries(values.map((value, i) => [`STAGEBOT_V${i}`, value]));
    const output = collect();
    // The command names the variables; no value is ever part of it.
    const command = `printf '%s\\0' ${values.map((_, i) => `"$STAGEBOT_V${i}"`).join(' ')}`;
    for (const value of values.filter((v) => v.length > 3)) expect(command).not.toContain(value);

    const result = await session.exec(command, { env, timeoutMs: 10_000, onOutput: output.onOutput });

    expect(result.code).toBe(0);
    expect(output.text('stdout').split('\0').slice(0, -1)).toEqual(values);
    expect(output.text('stderr')).toBe('');
    expect(existsSync(canaryDir)).toBe(true);
    expect(existsSync(join(canaryDir, 'touched'))).toBe(false);
  });

  it('reports a non-zero exit code with the last 40 lines of each stream', async () => {
    const result = await session.exec('for i in $(seq 1 100); do echo "line $i"; done; echo "it broke" >&2; exit 7', { timeoutMs: 10_000 });
    expect(result.code).toBe(7);
    expect(result.signal).toBeUndefined();
    expect(result.timedOut).toBe(false);
    const lines = result.stdoutTail.split('\n');
    expect(lines).toHaveLength(41);
    expect(lines[0]).toBe('line 61');
    expect(lines[39]).toBe('line 100');
    expect(lines[40]).toBe('');
    expect(result.stderrTail).toBe('it broke\n');
    expect(result.durationMs).toBeGreaterThan(0);
    expect(describeExit(result)).toBe('exited with code 7');
  });

  it('bounds the tail to about 4 KB while streaming everything', async () => {
    const output = collect();
    const result = await session.exec("head -c 300000 /dev/zero | tr '\\0' 'x'; echo; echo last", { timeoutMs: 10_000, onOutput: output.onOutput });
    expect(result.code).toBe(0);
    expect(output.text('stdout')).toHaveLength(300_000 + '\nlast\n'.length);
    expect(Buffer.byteLength(result.stdoutTail)).toBeLessThanOrEqual(4_096);
    expect(result.stdoutTail.endsWith('x\nlast\n')).toBe(true);
  });

  it('streams chunks in the order the command wrote them, without the pid line', async () => {
    const output = collect();
    await session.exec('echo one; sleep 0.2; echo two >&2; sleep 0.2; echo three', { timeoutMs: 10_000, onOutput: output.onOutput });
    expect(output.chunks).toEqual([
      { chunk: 'one\n', stream: 'stdout' },
      { chunk: 'two\n', stream: 'stderr' },
      { chunk: 'three\n', stream: 'stdout' },
    ]);
  });

  it('gives the command EOF on stdin instead of leaving it waiting', async () => {
    const result = await session.exec('cat; echo done', { timeoutMs: 3_000 });
    expect(result).toMatchObject({ code: 0, timedOut: false, stdoutTail: 'done\n' });
  });

  it('kills the remote command when it times out', async () => {
    const sleeper = uniqueSleep();
    const output = collect();
    let runningBeforeTimeout: string[] = [];
    void started(output, 'started').then(() => (runningBeforeTimeout = processesMatching(sleeper.pattern)));
    const result = await session.exec(`echo started; ${sleeper.command}; echo not reached`, { timeoutMs: 400, onOutput: output.onOutput });

    expect(runningBeforeTimeout.length).toBeGreaterThan(0);
    expect(result.timedOut).toBe(true);
    expect(result.code).toBeNull();
    expect(result.signal).toBe('SIGTERM');
    expect(result.stdoutTail).toBe('started\n');
    expect(describeExit(result, 400)).toBe('timed out after 400ms');
    expect(await waitUntilGone(sleeper.pattern, 1_000)).toEqual([]);
  });

  it('kills the remote command, children included, when aborted', async () => {
    const sleeper = uniqueSleep();
    const output = collect();
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    // A pipeline and a subshell: the shell's own child processes must go too.
    const running = session.exec(`echo started; (${sleeper.command}) | cat`, { timeoutMs: 30_000, signal: controller.signal, onOutput: output.onOutput });
    await started(output, 'started');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(processesMatching(sleeper.pattern).length).toBeGreaterThan(0);

    controller.abort(reason);
    // The abort's reason, not the 30 s timeout's: the abort ended it; and the whole tree went with it.
    await expect(running).rejects.toBe(reason);
    expect(await waitUntilGone(sleeper.pattern, 10_000)).toEqual([]);
  });

  it('KILLs what ignores TERM after a short grace', async () => {
    const sleeper = uniqueSleep();
    const output = collect();
    // An ignored signal stays ignored across exec: the sleep inherits the trap.
    const result = await session.exec(`trap '' TERM; echo started; ${sleeper.command}`, { timeoutMs: 300, onOutput: output.onOutput });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(processesMatching(sleeper.pattern)).toEqual([]);
  });

  it('still finds the pid and kills the command when a login script prints first', async () => {
    const chatty = await startSshd({ loginScript: 'echo "Welcome to the staging host"; echo "motd line 2"' });
    const chattySession = await connectSsh({ host: chatty.host, port: chatty.port, username: chatty.username, privateKey: chatty.privateKey, timeoutMs: 5_000 });
    try {
      const plain = await chattySession.exec('echo hello', { timeoutMs: 5_000 });
      expect(plain.stdoutTail).toBe('Welcome to the staging host\nmotd line 2\nhello\n');

      const sleeper = uniqueSleep();
      const output = collect();
      const result = await chattySession.exec(`echo started; ${sleeper.command}`, { timeoutMs: 500, onOutput: output.onOutput });
      expect(result.timedOut).toBe(true);
      expect(output.text('stdout')).toBe('Welcome to the staging host\nmotd line 2\nstarted\n');
      expect(await waitUntilGone(sleeper.pattern, 1_000)).toEqual([]);
    } finally {
      await chattySession.close();
      await chatty.stop();
    }
  });

  it('does not start anything when the signal is already aborted', async () => {
    const canary = join(canaryDir, 'pre-aborted');
    const reason = new Error('cancelled before');
    await expect(session.exec(`touch ${canary}`, { timeoutMs: 5_000, signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(existsSync(canary)).toBe(false);
  });

  it('refuses an invalid variable name before running anything', async () => {
    const canary = join(canaryDir, 'bad-name');
    await expect(session.exec(`touch ${canary}`, { timeoutMs: 5_000, env: { 'X;touch': 'v' } })).rejects.toBeInstanceOf(ShellQuoteError);
    expect(existsSync(canary)).toBe(false);
  });

  it('fails with a one-line error when the connection drops mid-command', async () => {
    const forwarder = await startForwarder(sshd.port);
    const sleeper = uniqueSleep();
    const dropped = await connectSsh({ host: sshd.host, port: forwarder.port, username: sshd.username, privateKey: sshd.privateKey, timeoutMs: 5_000 });
    try {
      const output = collect();
      const running = dropped.exec(`echo started; ${sleeper.command}`, { timeoutMs: 30_000, onOutput: output.onOutput });
      await started(output, 'started');
      await forwarder.close();
      await expect(running).rejects.toThrow(new SshExecError(`the SSH connection to 127.0.0.1:${forwarder.port} closed while a command was running`));
      expect(dropped.isOpen).toBe(false);
    } finally {
      await dropped.close();
      // With the connection gone nothing can reach the command: the host's own cleanup (here, us) must.
      for (const line of processesMatching(sleeper.pattern)) process.kill(Number(line.split(' ')[0]));
    }
  });

  it('fails with a one-line error on a closed session', async () => {
    const other = await connectSsh({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, timeoutMs: 5_000 });
    await other.close();
    await expect(other.exec('true', { timeoutMs: 1_000 })).rejects.toThrow(new SshExecError(`the SSH connection to ${other.address} is closed`));
  });
});

describe('describeExit', () => {
  const base = { code: null, timedOut: false, stdoutTail: '', stderrTail: '', durationMs: 1 };
  it.each([
    [{ ...base, code: 0 }, 'succeeded'],
    [{ ...base, code: 2 }, 'exited with code 2'],
    [{ ...base, signal: 'SIGTERM' }, 'killed by SIGTERM'],
    [{ ...base, timedOut: true, signal: 'SIGTERM' }, 'timed out'],
    [base, 'ended without an exit status'],
  ])('%o -> %s', (result, expected) => {
    expect(describeExit(result)).toBe(expected);
  });
});
