// Where and as whom the run's SSH steps connect: the host from the environment's `ssh.host`
// template and the launch's addresses, and the private key from the run's ephemeral key pair or
// the environment variable the config names. Shared by wait-ssh and service-update.
import { UserError } from '../../../errors.ts';
import type { RunContext } from '../../run-context.ts';
import { EPHEMERAL_KEY_SECRET, type LaunchOutputs } from '../../step-outputs.ts';

export interface SshAccess {
  host: string;
  port: number;
  username: string;
  /** PEM / OpenSSH private key text; never logged, never stored. */
  privateKey: string;
}

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** `{publicIp}` / `{privateIp}` filled in from the launch; any other text is a fixed host. */
export function resolveSshHost(template: string, launch: LaunchOutputs | undefined, envName: string): string {
  const host = template.replace(PLACEHOLDER, (_, name: string) => {
    if (name !== 'publicIp' && name !== 'privateIp') {
      throw new UserError(`ssh.host of ${envName} contains {${name}}; valid placeholders: {publicIp}, {privateIp}`);
    }
    if (launch === undefined) throw new UserError(`ssh.host of ${envName} needs {${name}}, but the launch step left no outputs`);
    const value = launch[name];
    if (!value) {
      const other = name === 'publicIp' ? '{privateIp}' : '{publicIp}';
      throw new UserError(`the instance ${launch.instanceId} has no ${name === 'publicIp' ? 'public' : 'private'} IP; ssh.host of ${envName} is ${template} (use ${other} or a fixed host)`);
    }
    return value;
  });
  if (host.trim() === '') throw new UserError(`ssh.host of ${envName} is empty`);
  return host;
}

/**
 * Keys kept in environment variables often lose their newlines on the way (`\n` written out);
 * a PEM without line breaks cannot be parsed, so put them back.
 */
function restoreNewlines(key: string): string {
  return key.includes('\n') ? key : key.replaceAll('\\n', '\n');
}

/** What finding the key needs: the environment and the run's in-process secrets (no store, no AWS). */
export type KeySource = Pick<RunContext, 'env' | 'secrets'>;

export function privateKeyFor(ctx: KeySource, launch: LaunchOutputs | undefined): string {
  const ephemeral = launch?.ephemeralKey ?? ctx.env.keyPair === 'ephemeral';
  if (ephemeral) {
    const key = ctx.secrets.get(EPHEMERAL_KEY_SECRET);
    // The key only ever lived in the memory of the process that created it (design: never stored).
    if (!key) throw new UserError('the ephemeral SSH key of this run was lost when its process stopped; tearing down');
    return key;
  }
  const name = ctx.env.ssh.privateKeyEnv;
  const key = process.env[name];
  if (!key || key.trim() === '') {
    throw new UserError(`environment variable ${name} is not set; it must hold the SSH private key (PEM) that logs in as ${ctx.env.ssh.user} on ${ctx.env.name} (ssh.privateKeyEnv of ${ctx.env.name})`);
  }
  return restoreNewlines(key);
}

export function sshAccess(ctx: RunContext): SshAccess {
  const launch = ctx.outputOf('launch');
  return {
    host: resolveSshHost(ctx.env.ssh.host, launch, ctx.env.name),
    port: ctx.env.ssh.port,
    username: ctx.env.ssh.user,
    privateKey: privateKeyFor(ctx, launch),
  };
}
