// arm-switch: the dead man's switch. Right after SSH is up, the host is told to power itself off at
// the run's expires-at plus deadManSwitch.margin; the launch asked EC2 to terminate an instance that
// powers itself off, so a run whose bot and sweeper are both down still ends, on time, by itself.
// keep and extend move the time (move-switch.ts); teardown makes it moot.
import type { Clock } from '../../domain/clock.ts';
import { UserError } from '../../errors.ts';
import type { Sleep } from '../../ssh/index.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import type { ArmSwitchOutputs } from '../step-outputs.ts';
import { CommandFailed } from './helpers/command-failed.ts';
import { exitText, succeeded } from './helpers/exit-text.ts';
import { PinnedConnection } from './helpers/pinned-connection.ts';
import { sshAccess, type SshAccess } from './helpers/ssh-access.ts';

/**
 * What runs on the host. `shutdown -h +MINUTES` (relative, so the host's clock and time zone do not
 * matter) replaces a shutdown scheduled earlier: arming again moves the switch. Root needs no sudo;
 * anyone else needs it without a password. Values arrive only as environment variables.
 */
export const SWITCH_SCRIPT = [
  "# stagebot's dead man's switch: power this host off at $STAGEBOT_SWITCH_AT unless stagebot moves it",
  'if [ "$(id -u)" = 0 ]; then as_root=; else as_root="sudo -n"; fi',
  '$as_root shutdown -h "+$STAGEBOT_SWITCH_MINUTES" "stagebot: run $STAGEBOT_RUN_ID ends at $STAGEBOT_SWITCH_AT; this host powers off and terminates"',
].join('\n');

const SCRIPT_TIMEOUT_MS = 60_000;

export interface ArmSwitchOptions {
  access: SshAccess;
  /** The host key wait-ssh pinned: the switch is set on that host or nowhere. */
  hostKey: string;
  runId: string;
  envName: string;
  /** When the host should power off at the latest (rounded up to whole minutes from now). */
  deadline: Date;
  clock: Clock;
  signal: AbortSignal;
  log: (line: string) => void;
}

/** Sets (or moves) the switch on the host; what it was set to. */
export async function armSwitch(o: ArmSwitchOptions): Promise<ArmSwitchOutputs> {
  const now = o.clock.now();
  const minutes = Math.max(1, Math.ceil((o.deadline.getTime() - now.getTime()) / 60_000));
  const firesAt = new Date(now.getTime() + minutes * 60_000).toISOString();
  const address = `${o.access.host}:${o.access.port}`;
  const sleep: Sleep = (ms, signal) => o.clock.sleep(ms, signal);
  const connection = new PinnedConnection({ access: o.access, hostKey: o.hostKey, signal: o.signal, sleep, log: o.log });
  try {
    const session = await connection.session();
    const env = { STAGEBOT_RUN_ID: o.runId, STAGEBOT_SWITCH_AT: firesAt, STAGEBOT_SWITCH_MINUTES: String(minutes) };
    const result = await session.exec(SWITCH_SCRIPT, { env, timeoutMs: SCRIPT_TIMEOUT_MS, signal: o.signal });
    if (!succeeded(result)) {
      const said = result.stderrTail.trim().split('\n').at(-1);
      throw new CommandFailed(
        `could not arm the dead man's switch on ${address}: shutdown ${exitText(result, SCRIPT_TIMEOUT_MS)}${said ? ` (${said})` : ''}; ` +
          `${o.access.username} needs passwordless sudo for shutdown, or set environments.${o.envName}.deadManSwitch.enabled: false`,
        [result.stdoutTail, result.stderrTail].filter((t) => t !== '').join('\n') || null,
      );
    }
  } finally {
    await connection.close();
  }
  o.log(`dead man's switch armed: ${address} powers off at ${firesAt} unless stagebot moves it`);
  return { firesAt, armedAt: now.toISOString() };
}

/** The latest the host may stay up: the run's expires-at plus the environment's margin. */
export function switchDeadline(expiresAt: Date, marginMs: number): Date {
  return new Date(expiresAt.getTime() + marginMs);
}

async function run(ctx: RunContext): Promise<StepResult<ArmSwitchOutputs>> {
  if (!ctx.env.deadManSwitch.enabled) return { outputs: {}, skipped: `deadManSwitch.enabled is false for ${ctx.env.name}` };
  const pinned = ctx.outputOf('wait-ssh');
  if (!pinned?.hostKey) throw new UserError('arm-switch needs the host key wait-ssh pins, and wait-ssh has not run for this run');
  const outputs = await armSwitch({
    access: { ...sshAccess(ctx), host: pinned.host, port: pinned.port },
    hostKey: pinned.hostKey,
    runId: ctx.run.id,
    envName: ctx.env.name,
    deadline: switchDeadline(ctx.expiresAt, ctx.env.deadManSwitch.margin),
    clock: ctx.clock,
    signal: ctx.signal,
    log: (line) => ctx.log(line),
  });
  return { outputs };
}

export const armSwitchStep: PipelineStep = { name: 'arm-switch', safeToRepeat: true, run };
