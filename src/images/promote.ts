// promote's rules, apart from the run that carries them out (src/pipeline/steps/promote*.ts): which
// AMI a promotion promotes, what its release copies are called, and the one manifest version that
// names them in every region. A promotion is a run of kind `promote`: leased, fenced, adopted and torn
// down like a bake, and holding the image's lock, so a bake and a promotion of one image never overlap.
import { amiName, manifestAmis, type Manifest, type ManifestEntry, type PromoteChannel } from '../domain/image.ts';
import { NotFoundError } from '../errors.ts';

/** The entry and region of the AMI to promote: `candidate` (the build region's), or an AMI id the manifest has. */
export function promotionSource(manifest: Manifest, image: string, source: string, buildRegion: string): { region: string; entry: ManifestEntry } {
  if (source === 'candidate') {
    const entry = manifest.images[image]?.[buildRegion]?.candidate;
    if (!entry) throw new NotFoundError(`image ${image} has no candidate in ${buildRegion}; bake one first: \`bake ${image}\``);
    return { region: buildRegion, entry };
  }
  const found = manifestAmis(manifest).find((a) => a.image === image && a.entry.ami === source);
  if (!found) throw new NotFoundError(`${source} is not an AMI of image ${image} in the manifest (\`images ${image}\` lists them)`);
  return { region: found.region, entry: found.entry };
}

/** The name of a release copy: `<image>-<bake run id>` (the AMI's id when its bake is unknown). */
export function releaseName(image: string, entry: ManifestEntry): string {
  return amiName(image, entry.bakeRun ?? entry.ami, 'release');
}

/** A release the manifest names already in `region` (any channel), by AMI id: reused, not copied again. */
export function namedInRegion(manifest: Manifest, image: string, region: string, ami: string): boolean {
  return Object.values(manifest.images[image]?.[region] ?? {}).some((e) => e?.ami === ami);
}

/** The manifest with `to` naming each region's release (one version for every region). */
export function withRelease(
  manifest: Manifest,
  image: string,
  to: PromoteChannel,
  source: { architecture: string; created: string; bakeRun: string | null },
  copies: readonly { region: string; ami: string; how: 'copied' | 'reused' }[],
  now: Date,
): Manifest {
  const regions = { ...(manifest.images[image] ?? {}) };
  for (const c of copies) {
    const channels = { ...(regions[c.region] ?? {}) };
    const kept = channels[to]?.ami === c.ami ? channels[to] : undefined;
    channels[to] = kept ?? { ami: c.ami, architecture: source.architecture, created: (c.how === 'copied' ? now : new Date(source.created)).toISOString(), deprecation: null, bakeRun: source.bakeRun };
    regions[c.region] = channels;
  }
  return { ...manifest, images: { ...manifest.images, [image]: regions } };
}

/** Whether the manifest names every copy in `to` already (a publish that ran before a crash). */
export function releasePublished(manifest: Manifest, image: string, to: PromoteChannel, copies: readonly { region: string; ami: string }[]): boolean {
  return copies.every((c) => manifest.images[image]?.[c.region]?.[to]?.ami === c.ami);
}
