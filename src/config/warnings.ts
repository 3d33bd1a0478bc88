// What is valid but probably wrong: shown by `config check`, `doctor` and at `serve` start, never
// refused (a new instance type is real before the bundled price table knows it).
import { bundledInstanceTypes } from '../cost/price-table.ts';
import { formatProblem } from './problems.ts';
import { closestKey } from './suggest.ts';
import type { Config } from './types.ts';

/** `path: what (what to do)` lines, like the problems of an invalid file. */
export function configWarnings(config: Config): string[] {
  return [...unknownInstanceTypes(config), ...pooledEphemeralKeys(config)];
}

/**
 * A warm pool of an environment with ephemeral key pairs keeps each member's private key sealed in the
 * store under STAGEBOT_HANDOVER_KEY: `serve` refuses to start without it, so say so before.
 */
function pooledEphemeralKeys(config: Config): string[] {
  return Object.values(config.environments)
    .filter((env) => env.warmPool && env.keyPair === 'ephemeral')
    .map((env) =>
      formatProblem({
        path: ['environments', env.name, 'warmPool'],
        message: 'members of a pool with keyPair: ephemeral keep their SSH key sealed in the store: set STAGEBOT_HANDOVER_KEY on every replica (serve refuses to start without it), or use a named key pair with ssh.privateKeyEnv',
      }),
    );
}

/**
 * An instance type neither the bundled price table nor `pricing.instances` knows is most often a typo
 * (`t3.2xlargee`) that only RunInstances would refuse, after a run has started; and if it is real,
 * its runs cannot be priced.
 */
function unknownInstanceTypes(config: Config): string[] {
  const overridden = Object.values(config.pricing?.instances ?? {}).flatMap((byType) => Object.keys(byType));
  const known = [...new Set([...bundledInstanceTypes(), ...overridden])];
  const warnings: string[] = [];
  for (const env of Object.values(config.environments)) {
    if (known.includes(env.instanceType)) continue;
    const guess = closestKey(env.instanceType, known);
    const message =
      `unknown instance type "${env.instanceType}"${guess ? ` (did you mean ${guess}?)` : ''}: ` +
      `not in the bundled price table; if it is right, price it under pricing.instances.${env.region}`;
    warnings.push(formatProblem({ path: ['environments', env.name, 'instanceType'], message }));
  }
  return warnings;
}
