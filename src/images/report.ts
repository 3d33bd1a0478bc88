// `images [<image>]`: the manifest per image, region and channel, with what AWS says of each AMI (age,
// size, monthly snapshot cost at the sweeper's prices), the environments that launch it, and drift.
import type { AwsClients } from '../aws/clients.ts';
import type { Config } from '../config/index.ts';
import { formatUsd } from '../cost/estimate.ts';
import type { Prices } from '../cost/prices.ts';
import { IMAGE_CHANNELS, type ImageChannel } from '../domain/image.ts';
import { formatDuration } from '../domain/duration.ts';
import { checkDrift, describeManifestAmis, usersOf, type ImageDrift } from './drift.ts';
import type { ManifestBackend } from './manifest.ts';

export interface ImageRow {
  image: string;
  region: string;
  channel: ImageChannel;
  ami: string;
  architecture: string;
  created: string;
  ageMs: number;
  /** GB of the AMI's snapshots; null when AWS does not know the AMI. */
  sizeGb: number | null;
  /** What its snapshots cost a month; null when unknown. */
  monthlyUsd: number | null;
  state: string | null;
  deprecation: string | null;
  bakeRun: string | null;
  usedBy: string[];
}

export interface ImagesReport {
  manifest: string;
  updated: string | null;
  rows: ImageRow[];
  drift: ImageDrift[];
  /** Images configured but not in the manifest yet. */
  unbaked: string[];
}

export interface ImagesDeps {
  config: Config;
  aws: AwsClients;
  prices: Prices;
  manifest: ManifestBackend;
  now: () => Date;
}

export async function imagesReport(deps: ImagesDeps, only: string | null): Promise<{ data: ImagesReport; text: string; problems: string[] }> {
  const { config, aws, prices } = deps;
  const now = deps.now();
  const full = await deps.manifest.read();
  const manifest = only === null ? full : { ...full, images: Object.fromEntries(Object.entries(full.images).filter(([n]) => n === only)) };
  const { facts, problems } = await describeManifestAmis(aws, manifest);
  const users = usersOf(config, full);
  const rows: ImageRow[] = [];
  for (const [image, regions] of Object.entries(manifest.images)) {
    for (const [region, channels] of Object.entries(regions)) {
      for (const channel of IMAGE_CHANNELS) {
        const entry = channels[channel];
        if (!entry) continue;
        const img = facts.get(region)?.get(entry.ami);
        const sizeGb = img ? (img.BlockDeviceMappings ?? []).reduce((sum, m) => sum + (m.Ebs?.SnapshotId ? (m.Ebs.VolumeSize ?? 0) : 0), 0) : null;
        const rate = prices.snapshotGbMonth(region);
        rows.push({
          image,
          region,
          channel,
          ami: entry.ami,
          architecture: entry.architecture,
          created: entry.created,
          ageMs: Math.max(0, now.getTime() - Date.parse(entry.created)),
          sizeGb,
          monthlyUsd: sizeGb === null || rate === null ? null : sizeGb * rate,
          state: img?.State ?? null,
          deprecation: img?.DeprecationTime ?? entry.deprecation,
          bakeRun: entry.bakeRun,
          usedBy: users.get(entry.ami) ?? [],
        });
      }
    }
  }
  const drift = await checkDrift({ config, aws, now }, manifest, facts);
  const names = only === null ? Object.keys(config.images) : [only];
  const unbaked = names.filter((n) => !full.images[n]);
  const data: ImagesReport = { manifest: deps.manifest.where, updated: full.updated, rows, drift: only === null ? drift : drift.filter((d) => d.image === only), unbaked };
  return { data, text: renderImagesText(data, problems), problems };
}

export function renderImagesText(r: ImagesReport, problems: string[] = []): string {
  const lines: string[] = [...problems.map((p) => `! ${p}`)];
  lines.push(`image manifest ${r.manifest}${r.updated ? ` (updated ${r.updated})` : ' (never written)'}`);
  if (r.rows.length === 0) lines.push('  no images in the manifest yet');
  let last = '';
  for (const row of r.rows) {
    if (row.image !== last) {
      lines.push(`${row.image}:`);
      last = row.image;
    }
    const size = row.sizeGb === null ? 'size unknown' : `${row.sizeGb} GB`;
    const state = row.state === null ? 'NOT FOUND' : row.state;
    const dep = row.deprecation ? `, deprecated ${Date.parse(row.deprecation) <= Date.now() ? 'since' : 'at'} ${row.deprecation}` : '';
    const used = row.usedBy.length ? `used by ${row.usedBy.join(', ')}` : 'used by no environment';
    lines.push(`  ${row.region.padEnd(14)} ${row.channel.padEnd(9)} ${row.ami.padEnd(21)} ${row.architecture.padEnd(7)} ${formatDuration(row.ageMs).padStart(8)} old  ${size.padStart(7)}  ${formatUsd(row.monthlyUsd).padStart(8)}/month  ${state}${dep}; ${used}`);
  }
  for (const name of r.unbaked) lines.push(`${name}: not baked yet (\`bake ${name}\`)`);
  lines.push(r.drift.length === 0 ? 'drift: none' : `drift (${r.drift.length}):`);
  for (const d of r.drift) lines.push(`  - ${d.problem}`);
  return lines.join('\n');
}
