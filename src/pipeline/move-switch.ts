// Keeps a run's dead man's switch (steps/arm-switch.ts) in step with its expiry when keep or extend
// move it: the host must not power itself off before the time a person was promised, and should not
// outlive it by much.
import type { EnvironmentConfig } from '../config/index.ts';
import { errorLine } from './run-errors.ts';
import type { Run } from '../domain/run.ts';
import { ConflictError, UserError } from '../errors.ts';
import type { EngineServices } from './engine-services.ts';
import { armSwitch, switchDeadline } from './steps/arm-switch.ts';
import { EPHEMERAL_KEY_SECRET, type ArmSwitchOutputs, type LaunchOutputs, type WaitSshOutputs } from './step-outputs.ts';
import { privateKeyFor } from './steps/helpers/ssh-access.ts';

type MoveServices = Pick<EngineServices, 'store' | 'config' | 'clock' | 'logger' | 'emitLog'>;

/** Sets the switch of a run whose arm-switch step armed it to `until` plus the margin; a no-op otherwise. */
export async function moveSwitch(svc: MoveServices, run: Run, until: Date, secrets: ReadonlyMap<string, string>, signal: AbortSignal): Promise<void> {
  const env = run.env ? svc.config.environments[run.env] : undefined;
  if (!env?.deadManSwitch.enabled) return;
  const armed = await svc.store.getStep(run.id, 'arm-switch');
  if (armed?.state !== 'succeeded') return;
  const current = armed.outputs as ArmSwitchOutputs;
  const deadline = switchDeadline(until, env.deadManSwitch.margin);
  try {
    const outputs = await armSwitch({ ...(await hostOf(svc, run, env, secrets)), runId: run.id, envName: env.name, deadline, clock: svc.clock, signal, log: (line) => svc.emitLog(run.id, 'arm-switch', line) });
    await svc.store.upsertStep({ ...armed, outputs });
  } catch (err) {
    // Earlier than it is set: the host stays up at least as long as promised, so the old time may stand.
    if (deadline.getTime() <= Date.parse(current.firesAt)) {
      svc.logger.warn({ runId: run.id, err: errorLine(err), firesAt: current.firesAt }, "could not move the dead man's switch earlier; it stays as it was");
      return;
    }
    throw new ConflictError(`could not move the dead man's switch of run ${run.id}: ${errorLine(err)}; its host still powers off at ${current.firesAt}`);
  }
}

async function hostOf(svc: MoveServices, run: Run, env: EnvironmentConfig, secrets: ReadonlyMap<string, string>) {
  const [launch, ssh] = await Promise.all([svc.store.getStep(run.id, 'launch'), svc.store.getStep(run.id, 'wait-ssh')]);
  const launched = launch?.outputs as LaunchOutputs | undefined;
  const pinned = ssh?.outputs as WaitSshOutputs | undefined;
  if (!pinned?.hostKey) throw new UserError('wait-ssh left no pinned host key');
  if (launched?.ephemeralKey && !secrets.has(EPHEMERAL_KEY_SECRET)) {
    throw new UserError('its ephemeral SSH key lived only in the process that launched it, which is gone');
  }
  // The host wait-ssh pinned, as whoever the environment logs in as.
  const access = { host: pinned.host, port: pinned.port, username: env.ssh.user, privateKey: privateKeyFor({ env, secrets: new Map(secrets) }, launched) };
  return { access, hostKey: pinned.hostKey };
}
