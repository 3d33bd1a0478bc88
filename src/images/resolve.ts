// What AMI a launch starts from: the environment's id as written, or the image and channel it names
// (`image:mentor-app@stable`) looked up in the manifest for the environment's region; `--ami` overrides
// either with an id or the image's `candidate`.
import type { EnvironmentConfig } from '../config/index.ts';
import { isImageChannel, parseImageRef, type ImageChannel, type Manifest } from '../domain/image.ts';
import { UserError } from '../errors.ts';

export class ImageNotInManifest extends UserError {
  override readonly name = 'ImageNotInManifest';
}

export interface ResolvedAmi {
  ami: string;
  /** Where it came from: `ami-…` as configured, `image:mentor-app@stable`, `--ami=candidate`. */
  from: string;
}

/** True when the environment's AMI (or the override) needs the manifest to be known. */
export function needsManifest(env: EnvironmentConfig, override?: string): boolean {
  if (override !== undefined) return override === 'candidate';
  return env.ami.startsWith('image:');
}

function lookup(manifest: Manifest, image: string, channel: ImageChannel, region: string, what: string): string {
  const entry = manifest.images[image]?.[region]?.[channel];
  if (!entry) {
    const regions = manifest.images[image];
    const has = regions?.[region] ? Object.keys(regions[region]).join(', ') : '';
    const known = !regions ? `the manifest has no image ${image} yet (bake it: \`bake ${image}\`)` : has ? `${region} has ${has}` : `it is in ${Object.keys(regions).join(', ') || 'no region'} but not in ${region}`;
    throw new ImageNotInManifest(`${what}: no ${channel} AMI of image ${image} in ${region}; ${known}`);
  }
  return entry.ami;
}

/**
 * The AMI id a launch of `env` uses. `imageOfEnv`: for `--ami=candidate`, the image whose candidate is
 * meant (the environment's own image, or the one named in `images` for an environment with a raw id).
 */
export function resolveAmi(env: EnvironmentConfig, manifest: Manifest | null, override?: string): ResolvedAmi {
  const ref = parseImageRef(env.ami);
  if (override !== undefined && override !== 'candidate') return { ami: override, from: `--ami=${override}` };
  if (override === 'candidate') {
    if (!ref) throw new UserError(`--ami=candidate needs ${env.name}'s ami to name an image (ami: image:NAME@CHANNEL); it is ${env.ami}. Give an AMI id instead: --ami=ami-…`);
    return { ami: lookup(manifest!, ref.image, 'candidate', env.region, `--ami=candidate for ${env.name}`), from: `image:${ref.image}@candidate (--ami)` };
  }
  if (!ref) return { ami: env.ami, from: env.ami };
  if (!isImageChannel(ref.channel)) throw new UserError(`${env.name}'s ami ${env.ami} names channel ${ref.channel}; valid: candidate, latest, stable`);
  return { ami: lookup(manifest!, ref.image, ref.channel, env.region, `${env.name}'s ami ${env.ami}`), from: env.ami };
}
