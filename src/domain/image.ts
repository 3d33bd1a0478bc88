// Images (design.md section 8): the manifest says which AMI id each configured image has per region
// and channel. A bake makes a `candidate`; a promotion makes it `latest` or `stable`.

export const IMAGE_CHANNELS = ['candidate', 'latest', 'stable'] as const;
export type ImageChannel = (typeof IMAGE_CHANNELS)[number];

/** Channels a promotion may write (a candidate is made by a bake only). */
export const PROMOTE_CHANNELS = ['latest', 'stable'] as const;
export type PromoteChannel = (typeof PROMOTE_CHANNELS)[number];

/** What an environment's `ami:` may say instead of an id: `image:mentor-app@stable`. */
export interface ImageRef {
  image: string;
  channel: ImageChannel;
}

const IMAGE_REF = /^image:([a-z][a-z0-9-]{0,62})@([a-z]+)$/;

/** The parts of `image:NAME@CHANNEL`, or null for anything else (an AMI id). The channel is not checked here. */
export function parseImageRef(text: string): { image: string; channel: string } | null {
  const m = IMAGE_REF.exec(text);
  return m ? { image: m[1]!, channel: m[2]! } : null;
}

export function isImageChannel(text: string): text is ImageChannel {
  return (IMAGE_CHANNELS as readonly string[]).includes(text);
}

/** One AMI of one image in one region. */
export interface ManifestEntry {
  ami: string;
  architecture: string;
  /** ISO time the image was created. */
  created: string;
  /** ISO time AWS deprecates it (EnableImageDeprecation), or null. */
  deprecation: string | null;
  /** The bake run that made it (a copy names the bake of its source). */
  bakeRun: string | null;
}

/** image -> region -> channel -> entry; shaped like GRIT's manifest.json. */
export interface Manifest {
  version: 1;
  /** ISO time of the last change. */
  updated: string | null;
  images: Record<string, Record<string, Partial<Record<ImageChannel, ManifestEntry>>>>;
}

export function emptyManifest(): Manifest {
  return { version: 1, updated: null, images: {} };
}

/**
 * The AMI name convention: candidates are `<image>-candidate-<bake run id>`, released copies
 * `<image>-<bake run id>`; the `stagebot:image-channel` tag says the same.
 */
export function amiName(image: string, bakeRun: string, kind: 'candidate' | 'release'): string {
  return kind === 'candidate' ? `${image}-candidate-${bakeRun}` : `${image}-${bakeRun}`;
}

export function isCandidateName(name: string | undefined): boolean {
  return name !== undefined && /-candidate-/.test(name);
}

/** Every AMI id a manifest names, with where. */
export function manifestAmis(m: Manifest): { image: string; region: string; channel: ImageChannel; entry: ManifestEntry }[] {
  const out: { image: string; region: string; channel: ImageChannel; entry: ManifestEntry }[] = [];
  for (const [image, regions] of Object.entries(m.images)) {
    for (const [region, channels] of Object.entries(regions)) {
      for (const channel of IMAGE_CHANNELS) {
        const entry = channels[channel];
        if (entry) out.push({ image, region, channel, entry });
      }
    }
  }
  return out;
}

/** A bake's steps in order (its timing table and the CLI's live step list). */
export const BAKE_STEP_NAMES: readonly string[] = ['launch', 'open-ssh', 'wait-ssh', 'bake-recipe', 'create-image', 'teardown'];

/** A promotion's steps in order: copy to every region, share, one manifest write, deprecate what it replaced. */
export const PROMOTE_STEP_NAMES: readonly string[] = ['copy-image', 'share', 'publish', 'deprecate', 'teardown'];

/**
 * What a succeeded bake or promotion keeps on purpose: its images and their snapshots (a candidate, a
 * release the manifest names). Every other asset of a finished run still there is a leftover.
 */
export function isRunProduct(run: { kind: string; state: string }, assetKind: string): boolean {
  return (run.kind === 'bake' || run.kind === 'promote') && run.state === 'succeeded' && (assetKind === 'image' || assetKind === 'snapshot');
}

/** What a person calls the product of an image run. */
export function runProductName(kind: string): string {
  return kind === 'promote' ? 'the release the manifest names' : 'the candidate';
}

/** The steps of a run of an image kind (null for a launch: the engine's pipeline says). */
export function imageRunStepNames(kind: string): readonly string[] | null {
  return kind === 'bake' ? BAKE_STEP_NAMES : kind === 'promote' ? PROMOTE_STEP_NAMES : null;
}
