// Artifacts as plain files under one directory (`artifacts.dir`): `<dir>/<runId>/<name>`. Retention is
// enforced by `prune`, which the daily sweep calls: a run's folder goes once its newest file is older
// than the retention period.

import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { checkArtifactName, type ArtifactStorage, type OpenedFile, type StoredFile } from './storage.ts';

export interface PruneResult {
  /** Run ids whose artifacts were deleted. */
  runs: string[];
  bytes: number;
}

export class LocalArtifactDir implements ArtifactStorage {
  readonly kind = 'local' as const;
  readonly where: string;
  readonly #root: string;

  constructor(dir: string) {
    this.#root = resolve(dir);
    this.where = this.#root;
  }

  #path(runId: string, name: string): string {
    checkArtifactName(runId, name);
    const path = join(this.#root, runId, ...name.split('/'));
    // checkArtifactName already rules out `..`; this is the belt to its braces.
    if (!path.startsWith(this.#root + sep)) throw new Error(`artifact path escapes ${this.#root}`);
    return path;
  }

  async put(runId: string, name: string, file: { path: string }): Promise<void> {
    const target = this.#path(runId, name);
    await mkdir(dirname(target), { recursive: true });
    // Copied beside it, then renamed: a reader never sees half a file.
    const partial = `${target}.partial-${process.pid}`;
    await copyFile(file.path, partial);
    await rename(partial, target);
  }

  async list(runId: string): Promise<StoredFile[]> {
    const base = join(this.#root, runId);
    checkArtifactName(runId, 'x');
    return (await walk(base)).map((f) => ({ ...f, name: relative(base, f.path).split(sep).join('/') }));
  }

  async open(runId: string, name: string): Promise<OpenedFile | null> {
    const path = this.#path(runId, name);
    try {
      const s = await stat(path);
      if (!s.isFile()) return null;
      return { body: createReadStream(path), size: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw err;
    }
  }

  /** Deletes every run folder whose newest file was written before `before`. */
  async prune(before: Date): Promise<PruneResult> {
    const out: PruneResult = { runs: [], bytes: 0 };
    let runs: string[];
    try {
      runs = await readdir(this.#root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    for (const runId of runs.sort()) {
      const files = await walk(join(this.#root, runId));
      const newest = Math.max(0, ...files.map((f) => f.modifiedAt.getTime()));
      if (files.length > 0 && newest >= before.getTime()) continue;
      await rm(join(this.#root, runId), { recursive: true, force: true });
      out.runs.push(runId);
      out.bytes += files.reduce((n, f) => n + f.size, 0);
    }
    return out;
  }
}

/** Every file below `dir` (none when it does not exist); bounded by the artifact name depth. */
async function walk(dir: string, depth = 0): Promise<(StoredFile & { path: string })[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
  const out: (StoredFile & { path: string })[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory() && depth < 16) out.push(...(await walk(path, depth + 1)));
    else if (e.isFile() && !e.name.includes('.partial-')) {
      const s = await stat(path);
      out.push({ path, name: e.name, size: s.size, modifiedAt: s.mtime });
    }
  }
  return out;
}
