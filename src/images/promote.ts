// promote: an image's candidate (or a given AMI) becomes its `latest` or `stable` in every region the
// image needs. Per region: CopyImage, tagged at creation (the image and its snapshots), waited on until
// available; launch permission for the accounts in `shareWith`; then one manifest write for all
// regions; then the images it replaced are deprecated (EnableImageDeprecation) after the configured
// delay. A promotion that fails before the manifest write deregisters the copies it made.
import {
  CopyImageCommand,
  DeleteSnapshotCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  EnableImageDeprecationCommand,
  ModifyImageAttributeCommand,
  type EC2Client,
  type Image,
} from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.ts';
import { describeAwsError, isNotFound } from '../aws/errors.ts';
import { imageSnapshots } from '../aws/kinds/image.ts';
import { runTags, tagSpecifications } from '../aws/tags.ts';
import type { Config } from '../config/index.ts';
import type { Clock } from '../domain/clock.ts';
import { formatDuration } from '../domain/duration.ts';
import { amiName, manifestAmis, type Manifest, type ManifestEntry, type PromoteChannel } from '../domain/image.ts';
import type { Requester, Source } from '../domain/run.ts';
import { ConflictError, NotFoundError, UserError } from '../errors.ts';
import type { ManifestBackend } from './manifest.ts';

const POLL_MS = 5_000;

export interface PromoteRequest {
  image: string;
  /** `candidate`, or an AMI id the manifest has (in any channel and region). */
  source: string;
  to: PromoteChannel;
  requester: Requester;
  source_: Source;
}

export interface PromotedRegion {
  region: string;
  ami: string;
  /** `copied` by this promotion, or `reused` (the same bake's release was there already). */
  how: 'copied' | 'reused';
  durationMs: number;
  /** The image this channel had before, now deprecated at `deprecateAt`. */
  replaced: string | null;
  sharedWith: string[];
}

export interface PromoteReport {
  image: string;
  to: PromoteChannel;
  source: string;
  bakeRun: string | null;
  regions: PromotedRegion[];
  deprecateAt: string | null;
  /** Steps as they happened, with their time (the CLI's progress, the report's text). */
  progress: string[];
}

export interface PromoteDeps {
  config: Config;
  aws: AwsClients;
  manifest: ManifestBackend;
  clock: Clock;
  /** Each progress line as it happens (the CLI prints them to stderr). */
  onProgress?: (line: string) => void;
}

/** The entry and region of the AMI to promote. */
function sourceOf(manifest: Manifest, image: string, source: string, buildRegion: string): { region: string; entry: ManifestEntry } {
  if (source === 'candidate') {
    const entry = manifest.images[image]?.[buildRegion]?.candidate;
    if (!entry) throw new NotFoundError(`image ${image} has no candidate in ${buildRegion}; bake one first: \`bake ${image}\``);
    return { region: buildRegion, entry };
  }
  const found = manifestAmis(manifest).find((a) => a.image === image && a.entry.ami === source);
  if (!found) throw new NotFoundError(`${source} is not an AMI of image ${image} in the manifest (\`images ${image}\` lists them)`);
  return { region: found.region, entry: found.entry };
}

async function describe(ec2: EC2Client, filters: { Name: string; Values: string[] }[]): Promise<Image[]> {
  return (await ec2.send(new DescribeImagesCommand({ Owners: ['self'], Filters: filters }))).Images ?? [];
}

async function waitAvailable(ec2: EC2Client, imageId: string, deps: PromoteDeps, region: string, timeoutMs: number): Promise<Image> {
  const started = deps.clock.now().getTime();
  for (;;) {
    const img = (await ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    const waited = deps.clock.now().getTime() - started;
    if (img?.State === 'available') return img;
    if (img && img.State !== 'pending') throw new UserError(`the copy ${imageId} in ${region} is ${img.State}${img.StateReason?.Message ? ` (${img.StateReason.Message})` : ''}`);
    if (waited >= timeoutMs) throw new UserError(`the copy ${imageId} in ${region} was still pending after ${formatDuration(timeoutMs)}`);
    deps.onProgress?.(`${region}: ${imageId} pending (${formatDuration(waited)})`);
    await deps.clock.sleep(POLL_MS);
  }
}

async function removeCopy(ec2: EC2Client, imageId: string): Promise<void> {
  const img = (await describe(ec2, [{ Name: 'image-id', Values: [imageId] }]))[0];
  try {
    await ec2.send(new DeregisterImageCommand({ ImageId: imageId }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  for (const snapshotId of img ? imageSnapshots(img) : []) {
    await ec2.send(new DeleteSnapshotCommand({ SnapshotId: snapshotId })).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
  }
}

export async function promote(deps: PromoteDeps, req: PromoteRequest): Promise<PromoteReport> {
  const { config, aws } = deps;
  const settings = config.images[req.image];
  if (!settings) throw new NotFoundError(`no image ${req.image}`);
  const progress: string[] = [];
  const say = (line: string) => {
    const stamped = `${deps.clock.now().toISOString().slice(11, 19)} ${line}`;
    progress.push(stamped);
    deps.onProgress?.(stamped);
  };
  const manifest = await deps.manifest.read();
  const { region: sourceRegion, entry } = sourceOf(manifest, req.image, req.source, settings.regions[0]!);
  const bakeRun = entry.bakeRun;
  const releaseName = amiName(req.image, bakeRun ?? entry.ami, 'release');
  const now = deps.clock.now();
  // Released images are kept by the manifest, not by a run's expiry: the tag says when this promotion was.
  const tags = [
    ...runTags({ installation: config.installation, runId: bakeRun ?? entry.ami, env: `image:${req.image}`, requester: req.requester, source: req.source_, expiresAt: now, name: releaseName }),
    { Key: 'stagebot:image', Value: req.image },
    { Key: 'stagebot:image-channel', Value: req.to },
  ];
  say(`promoting ${req.image} ${entry.ami} (${sourceRegion}, bake ${bakeRun ?? 'unknown'}) to ${req.to} in ${settings.regions.join(', ')}`);

  const made: { region: string; ami: string }[] = [];
  const regions: PromotedRegion[] = [];
  try {
    for (const region of settings.regions) {
      const started = deps.clock.now().getTime();
      const ec2 = aws.ec2(region);
      // The same bake released here already (latest, now going stable): that copy is the release.
      const existing = (await describe(ec2, [{ Name: 'name', Values: [releaseName] }]))[0];
      let ami: string;
      let how: PromotedRegion['how'];
      if (existing?.ImageId) {
        ami = existing.ImageId;
        how = 'reused';
        say(`${region}: ${releaseName} is there already (${ami})`);
      } else {
        const out = await ec2.send(
          new CopyImageCommand({
            SourceImageId: entry.ami,
            SourceRegion: sourceRegion,
            Name: releaseName,
            Description: `stagebot release of ${req.image} (bake ${bakeRun ?? 'unknown'}), promoted to ${req.to}`,
            CopyImageTags: false,
            TagSpecifications: tagSpecifications(['image', 'snapshot'], tags),
          }),
        );
        ami = out.ImageId!;
        how = 'copied';
        made.push({ region, ami });
        say(`${region}: CopyImage ${entry.ami} -> ${ami}`);
      }
      await waitAvailable(ec2, ami, { ...deps, onProgress: (l) => say(l) }, region, settings.createImageTimeout);
      for (const account of settings.shareWith) {
        await ec2.send(new ModifyImageAttributeCommand({ ImageId: ami, LaunchPermission: { Add: [{ UserId: account }] } }));
      }
      if (settings.shareWith.length) say(`${region}: shared ${ami} with ${settings.shareWith.join(', ')}`);
      const previous = manifest.images[req.image]?.[region]?.[req.to]?.ami ?? null;
      regions.push({ region, ami, how, durationMs: deps.clock.now().getTime() - started, replaced: previous !== ami ? previous : null, sharedWith: settings.shareWith });
      say(`${region}: ${ami} available (${formatDuration(deps.clock.now().getTime() - started)})`);
    }
  } catch (err) {
    // Nothing half promoted stays: the copies this promotion made go; the manifest is unchanged.
    for (const c of made) await removeCopy(aws.ec2(c.region), c.ami).catch(() => undefined);
    const why = err instanceof UserError ? err.message : describeAwsError(err);
    throw new UserError(`promote ${req.image} to ${req.to} failed: ${why}; the ${made.length} copie(s) it made were removed and the manifest is unchanged`);
  }

  // One write for every region: the manifest never names a release that is only partly there.
  const images = { ...manifest.images, [req.image]: { ...(manifest.images[req.image] ?? {}) } };
  for (const r of regions) {
    const channels = { ...(images[req.image]![r.region] ?? {}) };
    channels[req.to] = { ami: r.ami, architecture: entry.architecture, created: (r.how === 'copied' ? deps.clock.now() : new Date(entry.created)).toISOString(), deprecation: null, bakeRun };
    images[req.image]![r.region] = channels;
  }
  await deps.manifest.write({ ...manifest, images }, { author: req.requester, reason: `promote ${req.image} ${entry.ami} to ${req.to}`, at: deps.clock.now() });
  say(`manifest: ${req.image}@${req.to} updated in ${regions.length} region(s)`);

  // The images replaced stay launchable for `deprecateAfter`, then AWS marks them deprecated.
  const deprecateAt = new Date(deps.clock.now().getTime() + settings.deprecateAfter);
  let deprecated = false;
  for (const r of regions) {
    if (!r.replaced) continue;
    // Still named by another channel (stable and latest often share one): not deprecated.
    const stillNamed = Object.values(images[req.image]![r.region] ?? {}).some((e) => e?.ami === r.replaced);
    if (stillNamed) continue;
    try {
      await aws.ec2(r.region).send(new EnableImageDeprecationCommand({ ImageId: r.replaced, DeprecateAt: deprecateAt }));
      deprecated = true;
      say(`${r.region}: ${r.replaced} (the previous ${req.to}) deprecated at ${deprecateAt.toISOString()}`);
    } catch (err) {
      say(`${r.region}: could not deprecate ${r.replaced}: ${describeAwsError(err)}`);
    }
  }
  return { image: req.image, to: req.to, source: entry.ami, bakeRun, regions, deprecateAt: deprecated ? deprecateAt.toISOString() : null, progress };
}

export function renderPromoteText(r: PromoteReport): string {
  return [
    `${r.image}@${r.to} is now ${r.regions.map((x) => `${x.ami} (${x.region}, ${x.how} in ${formatDuration(x.durationMs)}${x.sharedWith.length ? `, shared with ${x.sharedWith.join(', ')}` : ''})`).join(', ')}`,
    `from ${r.source} (bake ${r.bakeRun ?? 'unknown'})${r.deprecateAt ? `; the images it replaced are deprecated at ${r.deprecateAt}` : ''}`,
    ...r.progress.map((l) => `  ${l}`),
  ].join('\n');
}

export { ConflictError };
