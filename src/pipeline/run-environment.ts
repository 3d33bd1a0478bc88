// What a run acts on: a launch its configured environment, a bake the builder "environment" its
// image describes (first region, subnets, security group, SSH, the bake recipe as its recipe, an
// ephemeral key pair, no load balancer), a promotion the same image "environment" with no host at all
// (its lock is the image's, as a bake's is). Every part of the engine looks a run's environment up here.
import type { Config, EnvironmentConfig, ImageConfig } from '../config/index.ts';
import type { Run } from '../domain/run.ts';

/** `run.env` of a bake: its image, in a form no environment name can take (they have no colon). */
export function bakeEnvName(image: string): string {
  return `image:${image}`;
}

/**
 * `run.env` of a replenish run: its own lock (`pool:<env>:<member>`), so preparing members never holds
 * the environment's lock a launch needs, and members of one pool are prepared side by side.
 */
export function poolRunEnvName(env: string, memberId: string): string {
  return `pool:${env}:${memberId}`;
}

/** The environment a replenish run's `run.env` names, or null when it is not one. */
export function poolEnvOf(runEnv: string | null): string | null {
  const m = runEnv ? /^pool:([^:]+):/.exec(runEnv) : null;
  return m ? m[1]! : null;
}

export function builderEnvironment(image: ImageConfig): EnvironmentConfig {
  return {
    name: bakeEnvName(image.name),
    region: image.regions[0]!,
    // A name-filter or public-parameter base is resolved when the builder launches (steps/launch.ts).
    ami: image.base.ami ?? '',
    instanceType: image.instanceType,
    rootVolume: image.rootVolume,
    subnets: image.subnets,
    securityGroup: image.securityGroup,
    targetGroupArn: '',
    keyPair: 'ephemeral',
    ssh: { ...image.ssh, privateKeyEnv: '' },
    url: '',
    serviceUpdate: image.recipe,
    // The builder is stopped for imaging, not powered off from inside; the run timeout and the
    // sweeper bound its life.
    deadManSwitch: { enabled: false, margin: 0 },
  };
}

/**
 * A promotion's "environment": the image's, in its first region (where the account is checked), with no
 * host, key pair or recipe — a promotion only calls the EC2 image APIs.
 */
export function promotionEnvironment(image: ImageConfig): EnvironmentConfig {
  return { ...builderEnvironment(image), keyPair: '', serviceUpdate: [] };
}

/** The environment a run acts on, or undefined when the configuration no longer has it. */
export function environmentOfRun(config: Config, run: Pick<Run, 'kind' | 'env' | 'options'>): EnvironmentConfig | undefined {
  if (run.kind === 'bake' || run.kind === 'promote') {
    const image = run.options.image ? config.images[run.options.image] : undefined;
    if (!image) return undefined;
    return run.kind === 'bake' ? builderEnvironment(image) : promotionEnvironment(image);
  }
  if (run.kind === 'replenish') {
    const env = poolEnvOf(run.env);
    return env ? config.environments[env] : undefined;
  }
  return run.env ? config.environments[run.env] : undefined;
}
