// Which AMI an environment's pool members must be built from now, and whether a launch of it would take
// the warm path (a ready member of that AMI younger than maxAge) — for the keeper, the benchmark and the
// cost views. Peeks only: the claim itself is the store's atomic claimPoolMember.
import type { Config, EnvironmentConfig } from '../config/index.ts';
import type { PoolMember } from '../domain/pool.ts';
import type { ManifestBackend } from '../images/manifest.ts';
import { manifestBackend } from '../images/manifest-backend.ts';
import { needsManifest, resolveAmi } from '../images/resolve.ts';
import type { Store } from '../store/index.ts';

/** The environment's AMI now (configured id, or its image's entry in the manifest the engine reads). */
export async function currentPoolAmi(config: Config, env: EnvironmentConfig, backend?: ManifestBackend): Promise<string> {
  const manifest = needsManifest(env) ? await (backend ?? manifestBackend(config, null)).read() : null;
  return resolveAmi(env, manifest).ami;
}

/** The member a launch of `envName` would claim now (without claiming it); null: the launch would go cold. */
export async function warmMemberFor(store: Pick<Store, 'listPoolMembers'>, config: Config, envName: string, now: Date, backend?: ManifestBackend): Promise<PoolMember | null> {
  const env = config.environments[envName];
  if (!env?.warmPool) return null;
  const ami = await currentPoolAmi(config, env, backend);
  const builtAfter = now.getTime() - env.warmPool.maxAge;
  const ready = await store.listPoolMembers(envName, ['ready']);
  return ready.find((m) => m.ami === ami && m.builtAt !== null && m.builtAt.getTime() >= builtAfter) ?? null;
}

/** What the pool holds for a launch of an environment now (`launch --dry-run` says it). */
export interface WarmPathOutlook {
  /** The member the launch would claim (warmMemberFor); null: it would go cold. */
  member: PoolMember | null;
  /** Ready members it could not claim: built from another AMI than the environment's now, or older than maxAge. */
  unclaimable: number;
  preparing: number;
}

/** warmMemberFor, with what else the pool holds: why a launch would go cold. */
export async function warmPathOutlook(store: Pick<Store, 'listPoolMembers'>, config: Config, envName: string, now: Date, backend?: ManifestBackend): Promise<WarmPathOutlook> {
  const [member, members] = await Promise.all([warmMemberFor(store, config, envName, now, backend), store.listPoolMembers(envName, ['ready', 'preparing'])]);
  const ready = members.filter((m) => m.state === 'ready').length;
  return { member, unclaimable: ready - (member ? 1 : 0), preparing: members.filter((m) => m.state === 'preparing').length };
}

/** True when a launch of `envName` now would take the warm path. */
export async function wouldLaunchWarm(store: Pick<Store, 'listPoolMembers'>, config: Config, envName: string, now: Date, backend?: ManifestBackend): Promise<boolean> {
  return (await warmMemberFor(store, config, envName, now, backend)) !== null;
}

/**
 * Why this engine cannot keep the pools it is configured with, or null: a member of an environment with
 * ephemeral key pairs can only be claimed with its key, kept sealed under STAGEBOT_HANDOVER_KEY.
 */
export function poolKeyProblem(config: Config, handoverKey: string | null): string | null {
  if (handoverKey) return null;
  const envs = Object.values(config.environments).filter((e) => e.warmPool && e.keyPair === 'ephemeral').map((e) => e.name);
  if (envs.length === 0) return null;
  return `warmPool of ${envs.join(', ')} (keyPair: ephemeral) needs STAGEBOT_HANDOVER_KEY (e.g. \`openssl rand -base64 32\`) to keep each member's SSH key sealed for the launch that claims it; set it on every replica, or use a named key pair with ssh.privateKeyEnv`;
}
