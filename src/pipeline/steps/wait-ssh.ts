// wait-ssh: until the new host's sshd lets us in, then pin the host key it presented so every later
// connection of the run (service-update) refuses a host that is not this one. When it fails, its
// error says what the last attempt saw (a timeout alone does not tell a wrong key from a dead host).
import { UserError } from '../../errors.ts';
import { formatDuration } from '../../domain/duration.ts';
import { SshAuthRefusedError, waitForSsh, type SshAttempt, type SshSession } from '../../ssh/index.ts';
import { StepTimedOut } from '../run-errors.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import type { WaitSshOutputs } from '../step-outputs.ts';
import { sshAccess } from './helpers/ssh-access.ts';

/** Bound on one connection attempt (TCP + handshake + authentication). */
const CONNECT_TIMEOUT_MS = 10_000;
/** Pause after a failed attempt: a booting host needs a minute or two, not a tight loop. */
const RETRY_INTERVAL_MS = 5_000;
/** While nothing changes, one progress line per this many attempts (about a minute). */
const PROGRESS_EVERY = 12;

/** Where the refused key came from, so the message points at what to fix. */
function keyHint(ctx: RunContext): string {
  const ephemeral = ctx.outputOf('launch')?.ephemeralKey ?? ctx.env.keyPair === 'ephemeral';
  const key = ephemeral ? "the run's ephemeral key pair" : `the key in ${ctx.env.ssh.privateKeyEnv} (ssh.privateKeyEnv)`;
  return `check ssh.user (${ctx.env.ssh.user}) of ${ctx.env.name} and ${key}`;
}

async function run(ctx: RunContext): Promise<StepResult<WaitSshOutputs>> {
  const access = sshAccess(ctx);
  const address = `${access.host}:${access.port}`;
  // A resumed run that already saw this host keeps trusting only the key it saw then.
  const previous = ctx.outputOf('wait-ssh');
  const pin = previous?.hostKey && previous.host === access.host && previous.port === access.port ? previous.hostKey : undefined;
  // The step timeout (which aborts ctx.signal) is the real bound; the attempt count only keeps the loop finite.
  const attempts = Math.ceil(ctx.config.runs.stepTimeouts['wait-ssh'] / RETRY_INTERVAL_MS) + 1;
  const started = ctx.clock.now().getTime();

  let made = 0;
  let lastReason: string | undefined;
  const onAttempt = (a: SshAttempt) => {
    made = a.attempt;
    if (a.reason === undefined) return;
    if (a.reason !== lastReason || a.attempt % PROGRESS_EVERY === 0) {
      const waited = formatDuration(ctx.clock.now().getTime() - started);
      ctx.log(`${address} not ready (attempt ${a.attempt}, ${waited}): ${a.reason}`);
    }
    lastReason = a.reason;
  };

  ctx.log(`waiting for SSH on ${address} as ${access.username}${pin ? ` (host key pinned to ${pin})` : ''}`);
  let session: SshSession;
  try {
    session = await waitForSsh({
      ...access,
      ...(pin !== undefined ? { pinnedHostKey: pin } : {}),
      timeoutMs: CONNECT_TIMEOUT_MS,
      signal: ctx.signal,
      attempts,
      intervalMs: RETRY_INTERVAL_MS,
      authFailFastMs: ctx.env.ssh.authFailFast,
      sleep: (ms, signal) => ctx.clock.sleep(ms, signal),
      now: () => ctx.clock.now().getTime(),
      onAttempt,
    });
  } catch (err) {
    // Out of time: the timeout is the headline, what the host last answered is the reason.
    const reason: unknown = ctx.signal.aborted ? ctx.signal.reason : undefined;
    if (reason instanceof StepTimedOut && lastReason !== undefined) throw reason.because(`last attempt: ${lastReason}`);
    if (err instanceof SshAuthRefusedError) throw new UserError(`${err.message}; ${keyHint(ctx)} (ssh.authFailFast ended the wait early)`);
    throw err;
  }
  try {
    ctx.log(`connected to ${address} after ${made} attempt${made === 1 ? '' : 's'}; host key ${session.hostKey}`);
    const outputs: WaitSshOutputs = { host: access.host, port: access.port, hostKey: session.hostKey, attempts: made };
    return { outputs };
  } finally {
    await session.close();
  }
}

export const waitSshStep: PipelineStep<'wait-ssh'> = { name: 'wait-ssh', safeToRepeat: true, run };
