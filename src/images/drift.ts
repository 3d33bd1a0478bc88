// The manifest against AWS (the daily sweep's image check, and `images`): every AMI the manifest
// names exists and is available in its region, every released channel exists in every region its
// image needs, it is shared with the accounts configured, and it is not deprecated while an
// environment still launches it.
import { DescribeImageAttributeCommand, DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.ts';
import { describeAwsError } from '../aws/errors.ts';
import type { Config } from '../config/index.ts';
import { manifestAmis, parseImageRef, PROMOTE_CHANNELS, type Manifest } from '../domain/image.ts';

export interface ImageDrift {
  image: string;
  region: string;
  channel: string | null;
  ami: string | null;
  problem: string;
}

/** What AWS says of each AMI the manifest names, by region then id (absent: AWS does not know it). */
export type AmiFacts = Map<string, Map<string, Image>>;

/** DescribeImages of every AMI the manifest names, one call per region (ids AWS no longer knows are left out). */
export async function describeManifestAmis(aws: AwsClients, manifest: Manifest, signal?: AbortSignal): Promise<{ facts: AmiFacts; problems: string[] }> {
  const byRegion = new Map<string, Set<string>>();
  for (const { region, entry } of manifestAmis(manifest)) {
    const ids = byRegion.get(region) ?? new Set<string>();
    ids.add(entry.ami);
    byRegion.set(region, ids);
  }
  const facts: AmiFacts = new Map();
  const problems: string[] = [];
  for (const [region, ids] of byRegion) {
    const found = new Map<string, Image>();
    try {
      // A filter, not ImageIds: one deregistered id must not fail the whole question.
      const out = await aws.ec2(region).send(new DescribeImagesCommand({ Filters: [{ Name: 'image-id', Values: [...ids] }], IncludeDeprecated: true }), { abortSignal: signal });
      for (const img of out.Images ?? []) if (img.ImageId) found.set(img.ImageId, img);
    } catch (err) {
      problems.push(`could not describe the manifest's AMIs in ${region}: ${describeAwsError(err)}`);
      continue;
    }
    facts.set(region, found);
  }
  return { facts, problems };
}

/** Environments that launch each AMI id of the manifest (an `image:` reference, or the id itself). */
export function usersOf(config: Config, manifest: Manifest): Map<string, string[]> {
  const users = new Map<string, string[]>();
  const add = (ami: string, env: string) => users.set(ami, [...(users.get(ami) ?? []), env]);
  for (const env of Object.values(config.environments)) {
    const ref = parseImageRef(env.ami);
    if (!ref) {
      add(env.ami, env.name);
      continue;
    }
    const entry = manifest.images[ref.image]?.[env.region]?.[ref.channel as 'candidate'];
    if (entry) add(entry.ami, env.name);
  }
  return users;
}

export async function checkDrift(deps: { config: Config; aws: AwsClients; now: Date }, manifest: Manifest, facts: AmiFacts): Promise<ImageDrift[]> {
  const { config, aws, now } = deps;
  const drift: ImageDrift[] = [];
  const users = usersOf(config, manifest);
  for (const { image, region, channel, entry } of manifestAmis(manifest)) {
    const regionFacts = facts.get(region);
    if (!regionFacts) continue; // not described: reported as a problem already
    const img = regionFacts.get(entry.ami);
    const at = { image, region, channel, ami: entry.ami };
    if (!img) {
      drift.push({ ...at, problem: `${image}@${channel} ${entry.ami} does not exist in ${region} (deregistered, or not shared with this account)` });
      continue;
    }
    if (img.State !== 'available') drift.push({ ...at, problem: `${image}@${channel} ${entry.ami} in ${region} is ${img.State ?? 'in an unknown state'}, not available` });
    const deprecation = img.DeprecationTime ? Date.parse(img.DeprecationTime) : null;
    const used = users.get(entry.ami) ?? [];
    if (deprecation !== null && deprecation <= now.getTime() && channel !== 'candidate') {
      drift.push({ ...at, problem: `${image}@${channel} ${entry.ami} in ${region} was deprecated at ${img.DeprecationTime} but is still the ${channel} image${used.length ? ` (used by ${used.join(', ')})` : ''}` });
    }
    const shareWith = config.images[image]?.shareWith ?? [];
    if (shareWith.length > 0 && channel !== 'candidate') {
      try {
        const out = await aws.ec2(region).send(new DescribeImageAttributeCommand({ ImageId: entry.ami, Attribute: 'launchPermission' }));
        const shared = new Set((out.LaunchPermissions ?? []).flatMap((p) => (p.UserId ? [p.UserId] : [])));
        const missing = shareWith.filter((a) => !shared.has(a));
        if (missing.length > 0) drift.push({ ...at, problem: `${image}@${channel} ${entry.ami} in ${region} is not shared with ${missing.join(', ')} (images.${image}.shareWith)` });
      } catch (err) {
        drift.push({ ...at, problem: `could not read the launch permissions of ${entry.ami} in ${region}: ${describeAwsError(err)}` });
      }
    }
  }
  // Every released channel in every region its image needs.
  for (const [name, image] of Object.entries(config.images)) {
    const regions = manifest.images[name] ?? {};
    for (const channel of PROMOTE_CHANNELS) {
      const has = image.regions.filter((r) => regions[r]?.[channel]);
      if (has.length === 0) continue;
      for (const region of image.regions.filter((r) => !regions[r]?.[channel])) {
        drift.push({ image: name, region, channel, ami: null, problem: `${name}@${channel} is missing in ${region} (images.${name}.regions needs it there; promote again to copy it)` });
      }
    }
  }
  // Environments whose image reference the manifest cannot answer.
  for (const env of Object.values(config.environments)) {
    const ref = parseImageRef(env.ami);
    if (ref && !manifest.images[ref.image]?.[env.region]?.[ref.channel as 'candidate']) {
      drift.push({ image: ref.image, region: env.region, channel: ref.channel, ami: null, problem: `${env.name} launches ${env.ami}, which the manifest does not have in ${env.region}` });
    }
  }
  return drift;
}
