// What a GitHub Actions workflow run uploaded (actions/upload-artifact), brought back for the keeper:
// each artifact's zip is downloaded and unpacked into the job's own folder, with every limit a zip
// from elsewhere needs (no entry outside the folder, no symlinks, bounded count and size). The
// workflow's JSON report (`report.json` in any artifact) gives the counts and the failed tests; the
// paths it names for screenshots and traces are the runner machine's, so each is matched to the
// unpacked file whose path ends the same way.

import { createWriteStream } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { z } from 'zod';
import type { FailedTest, PlaywrightSummary } from './playwright-report.ts';

/** Artifacts of one run fetched at most (a workflow uploads a handful). */
const MAX_ARTIFACTS = 20;
/** Entries of one zip unpacked at most. */
const MAX_ENTRIES = 10_000;

const artifactListSchema = z.object({
  artifacts: z.array(z.object({ id: z.number().int(), name: z.string(), size_in_bytes: z.number().nonnegative(), expired: z.boolean().optional() })),
});

export interface WorkflowArtifactsApi {
  request(route: string, params: Record<string, unknown>): Promise<{ data: unknown }>;
}

export interface Unpacked {
  /** The folder everything was unpacked into. */
  dir: string;
  /** Artifacts that were too large, expired or broken, with why. */
  problems: string[];
}

/** Downloads and unpacks the run's artifacts into `dir/<artifact name>/`, at most `maxBytes` in all (zipped and unpacked). */
export async function fetchWorkflowArtifacts(
  api: WorkflowArtifactsApi,
  where: { owner: string; repo: string; runId: number },
  dir: string,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Unpacked> {
  const problems: string[] = [];
  const listed = artifactListSchema.safeParse(
    (await api.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts', { owner: where.owner, repo: where.repo, run_id: where.runId, per_page: 100, request: { signal } })).data,
  );
  if (!listed.success) return { dir, problems: ['GitHub answered with something that is not an artifact list'] };
  let budget = maxBytes;
  for (const a of listed.data.artifacts.slice(0, MAX_ARTIFACTS)) {
    if (a.expired) {
      problems.push(`${a.name}: expired on GitHub`);
      continue;
    }
    if (a.size_in_bytes > budget) {
      problems.push(`${a.name}: ${a.size_in_bytes} bytes, more than the run's cap leaves`);
      continue;
    }
    try {
      const zip = (await api.request('GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}', {
        owner: where.owner,
        repo: where.repo,
        artifact_id: a.id,
        archive_format: 'zip',
        request: { signal },
      })).data;
      const bytes = Buffer.from(zip as ArrayBuffer);
      budget -= await unzipInto(bytes, join(dir, safeSegment(a.name)), budget);
    } catch (err) {
      problems.push(`${a.name}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { dir, problems };
}

function safeSegment(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 100) || 'artifact';
}

/** Unpacks `zip` into `dir`; returns the bytes written. Refuses entries outside `dir`, symlinks, and more than `maxBytes`. */
export function unzipInto(zip: Buffer, dir: string, maxBytes: number): Promise<number> {
  const root = resolve(dir);
  return new Promise((done, fail) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true }, (err, archive) => {
      if (err || !archive) return fail(err ?? new Error('not a zip file'));
      let written = 0;
      let entries = 0;
      const stop = (e: Error) => {
        archive.close();
        fail(e);
      };
      archive.on('error', stop);
      archive.on('end', () => done(written));
      archive.on('entry', (entry: yauzl.Entry) => {
        if (++entries > MAX_ENTRIES) return stop(new Error(`more than ${MAX_ENTRIES} files`));
        const target = resolve(root, entry.fileName);
        if (!target.startsWith(root + sep)) return stop(new Error(`an entry points outside its folder (${entry.fileName})`));
        // Unix mode in the high 16 bits: a symlink entry is never unpacked.
        const mode = (entry.externalFileAttributes >>> 16) & 0o170000;
        if (mode === 0o120000) return archive.readEntry();
        if (entry.fileName.endsWith('/')) {
          mkdir(target, { recursive: true }).then(() => archive.readEntry(), stop);
          return;
        }
        written += entry.uncompressedSize;
        if (written > maxBytes) return stop(new Error(`unpacks to more than the ${maxBytes} bytes the run's cap leaves`));
        archive.openReadStream(entry, (e, stream) => {
          if (e || !stream) return stop(e ?? new Error('unreadable entry'));
          mkdir(dirname(target), { recursive: true })
            .then(() => pipeline(stream, createWriteStream(target, { flags: 'wx' })))
            .then(() => archive.readEntry(), stop);
        });
      });
      archive.readEntry();
    });
  });
}

/** Every file below `dir`, relative, with `/` separators (bounded depth). */
export async function filesBelow(dir: string, depth = 0): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isDirectory() && depth < 12) out.push(...(await filesBelow(join(dir, e.name), depth + 1)).map((f) => `${e.name}/${f}`));
    else if (e.isFile()) out.push(e.name);
  }
  return out;
}

/** The shallowest `report.json`, and the shallowest HTML report (an index.html not inside a trace viewer). */
export function findReports(files: readonly string[]): { json: string | null; htmlDir: string | null } {
  const depth = (f: string) => f.split('/').length;
  const byDepth = [...files].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  const json = byDepth.find((f) => f.split('/').pop() === 'report.json') ?? null;
  const html = byDepth.find((f) => f.split('/').pop() === 'index.html' && !f.split('/').includes('trace')) ?? null;
  return { json, htmlDir: html ? html.split('/').slice(0, -1).join('/') : null };
}

/**
 * The summary with each attachment's path moved to the unpacked file whose path ends the same way
 * (the runner's `/home/runner/work/e2e/test-results/x/trace.zip` is `<dir>/<artifact>/test-results/x/trace.zip`
 * here). An attachment with no such file keeps its path, which lies outside the job's folder: the
 * keeper then lists it as not kept.
 */
export function relocateAttachments(summary: PlaywrightSummary, dir: string, files: readonly string[]): PlaywrightSummary {
  const match = (path: string): string | null => {
    const want = path.split(/[\\/]/).filter((p) => p !== '');
    let best: { file: string; common: number } | null = null;
    for (const f of files) {
      const have = f.split('/');
      let common = 0;
      while (common < want.length && common < have.length && want[want.length - 1 - common] === have[have.length - 1 - common]) common++;
      // The file name and its folder at least: a bare `trace.zip` matches too many.
      if (common >= 2 && (!best || common > best.common)) best = { file: f, common };
    }
    return best ? join(dir, ...best.file.split('/')) : null;
  };
  const failures: FailedTest[] = summary.failures.map((f) => ({ ...f, attachments: f.attachments.map((a) => ({ ...a, path: match(a.path) ?? a.path })) }));
  return { ...summary, failures };
}

