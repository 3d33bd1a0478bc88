// Where a run's test artifacts are kept: a local directory (the default) or an S3 bucket. Both name a
// file by its run and a relative name (`chrome/report.json`, `chrome/report/index.html`), and both
// refuse a name that could climb out of its run's folder: names also arrive from URLs.

import type { Readable } from 'node:stream';

export interface StoredFile {
  /** Relative to its run: `chrome/failures/1/trace.zip`. */
  name: string;
  size: number;
  modifiedAt: Date;
}

export interface OpenedFile {
  body: Readable;
  size: number;
}

export interface ArtifactStorage {
  readonly kind: 'local' | 's3';
  /** Where a person finds it: a directory path or `s3://bucket/prefix/`. */
  readonly where: string;
  /** Keeps the local file `file` as the run's `name` (tagged with the run, in S3). */
  put(runId: string, name: string, file: { path: string; size: number; contentType: string }): Promise<void>;
  /** The run's kept files; none when it kept nothing. */
  list(runId: string): Promise<StoredFile[]>;
  /** The file's content, or null when there is no such file. */
  open(runId: string, name: string): Promise<OpenedFile | null>;
}

/** One path segment: no separators, no `.`/`..`, nothing a shell or a URL would treat specially. */
const SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._@-]{1,128}$/;
const MAX_NAME_LENGTH = 512;
const MAX_DEPTH = 12;

export class ArtifactNameError extends Error {
  override readonly name = 'ArtifactNameError';
}

/** Throws unless `runId` and `name` are made of safe segments (so `<root>/<runId>/<name>` stays under root). */
export function checkArtifactName(runId: string, name: string): void {
  if (!SEGMENT.test(runId)) throw new ArtifactNameError(`not a run id: ${JSON.stringify(runId.slice(0, 80))}`);
  const parts = name.split('/');
  if (name.length > MAX_NAME_LENGTH || parts.length > MAX_DEPTH || !parts.every((p) => SEGMENT.test(p))) {
    throw new ArtifactNameError(`not an artifact name: ${JSON.stringify(name.slice(0, 80))}`);
  }
}

export function isSafeArtifactName(runId: string, name: string): boolean {
  try {
    checkArtifactName(runId, name);
    return true;
  } catch {
    return false;
  }
}
