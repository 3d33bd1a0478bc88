import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.ts';
import { StepFailed } from '../../../src/pipeline/run-errors.ts';
import { EPHEMERAL_KEY_SECRET, type LaunchOutputs, type WaitSshOutputs } from '../../../src/pipeline/step-outputs.ts';
import { resolveSshHost } from '../../../src/pipeline/steps/helpers/ssh-access.ts';
import { waitSshStep } from '../../../src/pipeline/steps/wait-ssh.ts';
import { freePort, startSshd, type TestSshd } from '../../support/sshd.ts';
import { startForwarder, type Listening } from '../../support/tcp.ts';
import type { TestRun } from '../support/run-context.ts';
import { hostTestRun, logLines, loopbackLaunch, type HostRunOptions } from '../support/ssh-run-context.ts';
import { generateKey } from '../../fakes/cloud/keys.ts';

let sshd: TestSshd;
const runs: TestRun[] = [];
const servers: Listening[] = [];

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});
afterEach(async () => {
  for (const t of runs.splice(0)) await t.close();
  for (const s of servers.splice(0)) await s.close();
});

async function harness(opts: HostRunOptions = {}): Promise<TestRun> {
  const t = await hostTestRun({ sshd, ...opts });
  runs.push(t);
  return t;
}

/** The environment's ssh settings with another port (where nothing, or not yet anything, listens). */
const onPort = (port: number): HostRunOptions => ({ configure: (config) => void (config.environments.stg3!.ssh.port = port) });

const unsetKeyEnv: HostRunOptions = { configure: (config) => void (config.environments.stg3!.ssh.privateKeyEnv = 'STAGEBOT_TEST_SSH_KEY_UNSET') };

describe('wait-ssh', () => {
  it('connects to the launched host and pins the key it presented', async () => {
    const h = await harness();
    const result = await h.runStep(waitSshStep);

    const outputs = result.outputs as WaitSshOutputs;
    expect(outputs).toEqual({ host: '127.0.0.1', port: sshd.port, hostKey: sshd.hostKeyFingerprint, attempts: 1 });
    expect(h.events.map((e) => e.type)).toEqual(['step.started', 'step.finished']);
    expect(logLines(h).at(-1)).toBe(`connected to 127.0.0.1:${sshd.port} after 1 attempt; host key ${sshd.hostKeyFingerprint}`);
    expect((await h.store.getStep(h.run.id, 'wait-ssh'))?.outputs).toEqual(outputs);
  });

  it('keeps trying while sshd is not up yet, saying why, without waiting in real time', async () => {
    const port = await freePort();
    const h = await harness(onPort(port));
    // sshd "comes up" during the second pause (listen binds at once; the promise only reports it).
    const forwarders: Promise<Listening>[] = [];
    h.clock.onSleep = (_ms, count) => {
      if (count === 2) forwarders.push(startForwarder(sshd.port, port));
    };

    const outputs = (await h.runStep(waitSshStep)).outputs as WaitSshOutputs;

    servers.push(...(await Promise.all(forwarders)));
    expect(outputs.attempts).toBe(3);
    expect(outputs.hostKey).toBe(sshd.hostKeyFingerprint);
    expect(h.clock.sleeps).toEqual([5_000, 5_000]);
    // The same reason again is not repeated on every attempt.
    expect(logLines(h).filter((l) => l.includes('not ready'))).toEqual([`127.0.0.1:${port} not ready (attempt 1, 0ms): connection refused (ECONNREFUSED)`]);
  });

  it('refuses the host when a later connection presents another key than the pinned one', async () => {
    const first = await harness();
    const pinned = (await first.runStep(waitSshStep)).outputs as WaitSshOutputs;
    expect(pinned.hostKey).toBe(sshd.hostKeyFingerprint);

    // A resumed run redoing wait-ssh keeps the pin it recorded; here the record says another key.
    const other = 'SHA256:' + 'A'.repeat(43);
    const again = await harness({ outputs: { launch: loopbackLaunch(), 'wait-ssh': { ...pinned, hostKey: other } } });
    const failure = again.runStep(waitSshStep);

    await expect(failure).rejects.toBeInstanceOf(StepFailed);
    await expect(failure).rejects.toThrow(`host key of 127.0.0.1:${sshd.port} changed (expected ${other}, got ${sshd.hostKeyFingerprint}); refusing to connect`);
    // Refused at once, not retried like a host that is still booting.
    expect(again.clock.sleeps).toEqual([]);
  });

  it('names the missing environment variable when the private key is not set', async () => {
    const h = await harness(unsetKeyEnv);
    delete process.env.STAGEBOT_TEST_SSH_KEY_UNSET;
    await expect(h.runStep(waitSshStep)).rejects.toThrow(
      'wait-ssh failed: environment variable STAGEBOT_TEST_SSH_KEY_UNSET is not set; it must hold the SSH private key (PEM)',
    );
  });

  it('uses the ephemeral key the launch left in the run secrets', async () => {
    const h = await harness({
      outputs: { launch: loopbackLaunch({ ephemeralKey: true }) },
      secrets: { [EPHEMERAL_KEY_SECRET]: sshd.privateKey },
      ...unsetKeyEnv,
    });
    expect(((await h.runStep(waitSshStep)).outputs as WaitSshOutputs).hostKey).toBe(sshd.hostKeyFingerprint);
  });

  it('fails clearly when the ephemeral key was lost with the process that created it', async () => {
    const h = await harness({ outputs: { launch: loopbackLaunch({ ephemeralKey: true }) } });
    await expect(h.runStep(waitSshStep)).rejects.toThrow(
      'wait-ssh failed: the ephemeral SSH key of this run was lost when its process stopped; tearing down',
    );
  });

  it('is stopped by the step timeout while the host never answers', async () => {
    const port = await freePort();
    // A long configured timeout, so that only the step runner's 400 ms bound can end the wait.
    const h = await harness({ configure: (config) => void ((config.environments.stg3!.ssh.port = port), (config.runs.stepTimeouts['wait-ssh'] = 86_400_000)) });

    // The timeout is the headline; what the host last answered is why.
    await expect(h.runStep(waitSshStep, { timeoutMs: 400 })).rejects.toThrow(
      'wait-ssh failed: wait-ssh took longer than runs.stepTimeouts.wait-ssh (400ms); last attempt: connection refused (ECONNREFUSED)',
    );
    expect(h.clock.sleeps.length).toBeGreaterThan(1);
  });
});

describe('wait-ssh with a key the host refuses', () => {
  const wrongKey = () => ({ ...sshd, privateKey: generateKey('ed25519').privateKey });

  it('fails early with the refusal and what to check, long before the step timeout', async () => {
    // The example's 10 min wait-ssh timeout; a 1 min refusal window.
    const h = await harness({ sshd: wrongKey(), configure: (config) => void (config.environments.stg3!.ssh.authFailFast = 60_000) });
    const failure = h.runStep(waitSshStep).catch((e: unknown) => e);

    const error = await failure;
    expect(error).toBeInstanceOf(StepFailed);
    expect((error as Error).message).toBe(
      `wait-ssh failed: SSH on 127.0.0.1:${sshd.port} kept refusing the key for ${sshd.username} for 1m (attempt 13): authentication refused; ` +
        `check ssh.user (${sshd.username}) of stg3 and the key in STAGEBOT_TEST_SSH_KEY (ssh.privateKeyEnv) (ssh.authFailFast ended the wait early)`,
    );
    expect((await h.store.getStep(h.run.id, 'wait-ssh'))).toMatchObject({ state: 'failed', error: expect.stringContaining('authentication refused') });
    expect(h.eventsOf('step.failed')).toEqual([expect.objectContaining({ step: 'wait-ssh', error: expect.stringContaining('kept refusing the key') })]);
    // Twelve 5 s pauses on the run's clock (1 min), not the 120 a 10 min timeout would allow.
    expect(h.clock.sleeps).toEqual(Array(12).fill(5_000));
  });

  it('when the step timeout comes first, its error still names the refusal', async () => {
    const h = await harness({ sshd: wrongKey(), configure: (config) => void (config.runs.stepTimeouts['wait-ssh'] = 86_400_000) });
    await expect(h.runStep(waitSshStep, { timeoutMs: 400 })).rejects.toThrow(
      'wait-ssh failed: wait-ssh took longer than runs.stepTimeouts.wait-ssh (400ms); last attempt: authentication refused',
    );
  });
});

describe('resolveSshHost', () => {
  const launch = loopbackLaunch({ publicIp: '203.0.113.5', privateIp: '10.0.3.7' }) as LaunchOutputs;

  it('fills in the launched addresses or keeps a fixed host', () => {
    expect(resolveSshHost('{publicIp}', launch, 'stg4')).toBe('203.0.113.5');
    expect(resolveSshHost('{privateIp}', launch, 'stg4')).toBe('10.0.3.7');
    expect(resolveSshHost('bastion.internal', undefined, 'stg4')).toBe('bastion.internal');
  });

  it('explains an address the instance does not have and an unknown placeholder', () => {
    expect(() => resolveSshHost('{publicIp}', { ...launch, publicIp: null }, 'stg4')).toThrow(
      'the instance i-0123456789abcdef0 has no public IP; ssh.host of stg4 is {publicIp} (use {privateIp} or a fixed host)',
    );
    expect(() => resolveSshHost('{publicIP}', launch, 'stg4')).toThrow(UserError);
    expect(() => resolveSshHost('{publicIP}', launch, 'stg4')).toThrow('valid placeholders: {publicIp}, {privateIp}');
    expect(() => resolveSshHost('{publicIp}', undefined, 'stg4')).toThrow('the launch step left no outputs');
  });
});
