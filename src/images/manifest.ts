// The image manifest: which AMI each image has per region and channel (design.md section 8). The
// file backend keeps it in one JSON file (config `imageManifest.path`) and records every version it
// writes in the store, with who wrote it and why. The GitHub backend (github-manifest.ts, config
// `imageManifest.github`) reads it from a repository and changes it only by pull request.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import * as z from 'zod';
import type { Config } from '../config/index.ts';
import { IMAGE_CHANNELS, emptyManifest, type Manifest } from '../domain/image.ts';
import { UserError } from '../errors.ts';
import type { Store } from '../store/index.ts';

/** The store's manifest history: what a backend records (and the GitHub one also reads, to record each merged version once). */
export type ManifestHistoryStore = Pick<Store, 'recordManifest'> & Partial<Pick<Store, 'manifestHistory'>>;

const entrySchema = z.object({
  ami: z.string().regex(/^ami-[0-9a-f]{8,17}$/),
  architecture: z.string(),
  created: z.string(),
  deprecation: z.string().nullable().default(null),
  bakeRun: z.string().nullable().default(null),
});

const channelsSchema = z.object(Object.fromEntries(IMAGE_CHANNELS.map((c) => [c, entrySchema.optional()])) as Record<(typeof IMAGE_CHANNELS)[number], z.ZodOptional<typeof entrySchema>>).strict();

const manifestSchema = z.object({
  version: z.literal(1),
  updated: z.string().nullable().default(null),
  images: z.record(z.string(), z.record(z.string(), channelsSchema)),
});

/** The manifest in `text`, or a one-line error naming the file and what is wrong. */
export function parseManifest(text: string, where: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UserError(`image manifest ${where} is not valid JSON (${(err as Error).message})`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`image manifest ${where}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data as Manifest;
}

export interface ManifestWrite {
  author: string;
  reason: string;
  at: Date;
}

/**
 * What a write did: the new version is the manifest now (`written`), or it waits in a pull request
 * (`pull-request`) and the manifest is unchanged until that is merged.
 */
export type ManifestWriteResult = { kind: 'written'; where: string } | { kind: 'pull-request'; where: string; number: number; url: string };

/** Where the manifest lives. */
export interface ManifestBackend {
  /** What it says now (an absent file is an empty manifest). */
  read(): Promise<Manifest>;
  /** Writes a new version (or proposes it) and records it in the store's history. */
  write(manifest: Manifest, how: ManifestWrite): Promise<ManifestWriteResult>;
  /** A person-readable name: the file's path, or `owner/name:path@branch`. */
  readonly where: string;
}

/** One line for a person: where the new version went, and whether it is the manifest yet. */
export function describeManifestWrite(r: ManifestWriteResult, change: string): string {
  if (r.kind === 'written') return `manifest ${r.where}: ${change}`;
  return `manifest ${r.where}: opened PR #${r.number} (${r.url}) to ${change}; the manifest is unchanged until it is merged (merging is the approval, reverting it the rollback)`;
}

export class FileManifest implements ManifestBackend {
  readonly where: string;
  readonly #store: Pick<Store, 'recordManifest'> | null;

  constructor(path: string, store: Pick<Store, 'recordManifest'> | null) {
    this.where = resolve(path);
    this.#store = store;
  }

  async read(): Promise<Manifest> {
    let text: string;
    try {
      text = await readFile(this.where, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyManifest();
      throw new UserError(`cannot read the image manifest ${this.where} (${(err as Error).message})`);
    }
    return parseManifest(text, this.where);
  }

  async write(manifest: Manifest, how: ManifestWrite): Promise<ManifestWriteResult> {
    const next: Manifest = { ...manifest, updated: how.at.toISOString() };
    await mkdir(dirname(this.where), { recursive: true });
    // Written aside, then renamed: a reader never sees half a manifest.
    const temp = `${this.where}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(next, null, 2)}\n`);
    await rename(temp, this.where);
    await this.#store?.recordManifest({ at: how.at, author: how.author, reason: how.reason, manifest: next });
    return { kind: 'written', where: this.where };
  }
}

/** A backend that cannot be reached from here: every use says why, in one line. */
export class UnavailableManifest implements ManifestBackend {
  readonly where: string;
  readonly #why: string;

  constructor(where: string, why: string) {
    this.where = where;
    this.#why = why;
  }

  read(): Promise<Manifest> {
    return Promise.reject(new UserError(`cannot read the image manifest ${this.where}: ${this.#why}`));
  }

  write(): Promise<ManifestWriteResult> {
    return Promise.reject(new UserError(`cannot change the image manifest ${this.where}: ${this.#why}`));
  }
}
