// Keeps what one browser's Playwright run produced, most useful first, within the run's size cap:
//   1. the JSON report (kept even when the cap is already used up by other browsers, up to 5 MB:
//      without it nothing else can be read),
//   2. the first failed test's screenshot and trace,
//   3. the other failed tests' screenshots and traces, in order, then small attachments (error context),
//   4. the HTML report (whole or not at all: half a report does not open),
//   5. videos, first failure first.
// What does not fit is listed as skipped, with its size and why, so chat and the run page say so.
// Only files inside the job's own output folder are kept: a test can attach any path, and a path
// outside (the bot's database, its config) must never become a downloadable artifact.

import { lstat, readdir, realpath } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import bytes from 'bytes';
import mime from 'mime-types';
import type { ArtifactStorage } from '../../artifacts/storage.ts';
import type { ArtifactKind, BrowserArtifacts, KeptArtifact, SkippedArtifact } from '../../domain/artifact.ts';
import type { FailedTest, PlaywrightSummary, ReportAttachment } from './playwright-report.ts';

/** The JSON report is kept past the cap up to this size (see above). */
const REPORT_JSON_ALWAYS_BYTES = 5 * 1024 * 1024;
/** Attachments that are neither screenshot, trace nor video (error-context.md) are kept up to this size. */
const SMALL_ATTACHMENT_BYTES = 1024 * 1024;
/** Failed tests whose files are considered; past that the report lists them, the files stay behind. */
const MAX_FAILURES_KEPT = 20;
/** Runs whose budgets are remembered; the oldest is forgotten past this (its tests are long over). */
const MAX_RUNS_REMEMBERED = 500;
/** HTML report files walked at most (a report of a huge suite is skipped as a whole past it). */
const MAX_REPORT_FILES = 5_000;

export interface KeepRequest {
  runId: string;
  browser: string;
  /** The job's own folder: only files below it are kept. */
  outputDir: string;
  reportFile: string;
  /** Where the html reporter was told to write (it may not exist). */
  htmlDir: string;
  summary: PlaywrightSummary | null;
}

export interface ArtifactKeeperOptions {
  storage: ArtifactStorage;
  /** Bytes one run may keep, all browsers together. */
  maxRunBytes: number;
  now?: () => Date;
}

interface Candidate {
  kind: ArtifactKind;
  /** Stored name, relative to the run. */
  name: string;
  /** Files that make it up (one, or a whole HTML report): absolute path and stored name. */
  files: { path: string; name: string; size: number }[];
  size: number;
  failure?: number;
  /** Kept even over the cap (the JSON report, when small). */
  always?: boolean;
}

function attachmentKind(a: ReportAttachment): ArtifactKind {
  if (a.name === 'trace' || a.contentType === 'application/zip') return 'trace';
  if (a.contentType.startsWith('image/')) return 'screenshot';
  if (a.contentType.startsWith('video/')) return 'video';
  return 'attachment';
}

/** A stored file name from whatever the test named it: safe characters only, never empty. */
function safeName(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(-100);
  return clean === '' ? 'file' : clean;
}

export class ArtifactKeeper {
  readonly #opts: ArtifactKeeperOptions;
  /** Bytes left per run, shared by its browsers; each run's keeping is serialized so two browsers never overspend. */
  readonly #left = new Map<string, Promise<number>>();

  constructor(opts: ArtifactKeeperOptions) {
    this.#opts = opts;
  }

  get storage(): ArtifactStorage {
    return this.#opts.storage;
  }

  /** The run's cap: also what a runner may download before keeping. */
  get maxRunBytes(): number {
    return this.#opts.maxRunBytes;
  }

  /** Keeps what the cap allows of one browser's output; never throws (a storage error is a skipped entry). */
  async keep(req: KeepRequest): Promise<BrowserArtifacts> {
    const previous = this.#left.get(req.runId) ?? this.#initialBudget(req.runId);
    let release!: (left: number) => void;
    const next = new Promise<number>((resolve) => (release = resolve));
    this.#left.delete(req.runId);
    this.#left.set(req.runId, next);
    // A Map iterates in insertion order: the first key is the run kept longest ago.
    if (this.#left.size > MAX_RUNS_REMEMBERED) this.#left.delete(this.#left.keys().next().value!);
    let left = await previous.catch(() => this.#opts.maxRunBytes);
    try {
      const result = await this.#keep(req, left);
      left -= result.items.reduce((n, i) => n + i.size, 0);
      return result;
    } finally {
      release(Math.max(0, left));
    }
  }

  async #initialBudget(runId: string): Promise<number> {
    // A resumed run's earlier attempt may have kept files already: they count.
    const stored = await this.#opts.storage.list(runId).catch(() => []);
    return this.#opts.maxRunBytes - stored.reduce((n, f) => n + f.size, 0);
  }

  async #keep(req: KeepRequest, budget: number): Promise<BrowserArtifacts> {
    const skipped: SkippedArtifact[] = [];
    const candidates = await this.#candidates(req, skipped);
    const items: KeptArtifact[] = [];
    let left = budget;
    const cap = bytes.format(this.#opts.maxRunBytes) ?? `${this.#opts.maxRunBytes} bytes`;
    for (const c of candidates) {
      const entry = { kind: c.kind, name: c.name, size: c.size, ...(c.failure !== undefined ? { failure: c.failure } : {}) };
      if (c.size > left && !(c.always && c.size <= REPORT_JSON_ALWAYS_BYTES)) {
        skipped.push({ ...entry, reason: `over the run's ${cap} cap` });
        continue;
      }
      try {
        for (const f of c.files) {
          await this.#opts.storage.put(req.runId, f.name, { path: f.path, size: f.size, contentType: mime.lookup(f.name) || 'application/octet-stream' });
        }
        items.push(entry);
        left -= c.size;
      } catch (err) {
        skipped.push({ ...entry, reason: `could not be stored: ${(err as Error).message.split('\n')[0]}` });
      }
    }
    return { storage: this.#opts.storage.kind, keptAt: (this.#opts.now?.() ?? new Date()).toISOString(), items, skipped };
  }

  async #candidates(req: KeepRequest, skipped: SkippedArtifact[]): Promise<Candidate[]> {
    const root = await realpath(req.outputDir);
    const b = req.browser;
    /** The file's size when it is a regular file inside the job's folder, else null (and why, in skipped). */
    const inside = async (path: string, kind: ArtifactKind, failure?: number): Promise<number | null> => {
      try {
        const real = await realpath(path);
        const s = await lstat(real);
        if (real.startsWith(root + sep) && s.isFile()) return s.size;
        if (!s.isFile()) return null;
        skipped.push({ kind, name: basename(path), size: s.size, reason: 'outside the run\'s output folder ($TEST_OUTPUT_DIR)', ...(failure ? { failure } : {}) });
      } catch {
        // Not there: Playwright did not write it (no json reporter, no html reporter).
      }
      return null;
    };

    const out: Candidate[] = [];
    const report = await inside(req.reportFile, 'report-json');
    if (report !== null) out.push({ kind: 'report-json', name: `${b}/report.json`, files: [{ path: req.reportFile, name: `${b}/report.json`, size: report }], size: report, always: true });

    const failures = (req.summary?.failures ?? []).slice(0, MAX_FAILURES_KEPT);
    const perFailure: Candidate[][] = [];
    for (const [i, f] of failures.entries()) perFailure.push(await this.#failureFiles(b, i + 1, f, inside));
    const of = (kinds: ArtifactKind[]) => perFailure.flatMap((files) => files.filter((c) => kinds.includes(c.kind)));
    // Screenshots and traces in failure order (the first failure's right after the report), then the small extras.
    out.push(...of(['screenshot', 'trace']));
    out.push(...of(['attachment']).filter((c) => c.size <= SMALL_ATTACHMENT_BYTES));
    const html = await this.#htmlReport(req, root);
    if (html) out.push(html);
    out.push(...of(['video']));
    return out;
  }

  async #failureFiles(
    browser: string,
    n: number,
    f: FailedTest,
    inside: (path: string, kind: ArtifactKind, failure?: number) => Promise<number | null>,
  ): Promise<Candidate[]> {
    const out: Candidate[] = [];
    const used = new Set<string>();
    for (const a of f.attachments) {
      const kind = attachmentKind(a);
      const size = await inside(a.path, kind, n);
      if (size === null) continue;
      let file = safeName(basename(a.path));
      for (let k = 2; used.has(file); k++) file = `${k}-${safeName(basename(a.path))}`;
      used.add(file);
      const name = `${browser}/failures/${n}/${file}`;
      out.push({ kind, name, files: [{ path: a.path, name, size }], size, failure: n });
    }
    return out;
  }

  /** The HTML report folder as one candidate (its entry page named), or null when there is none. */
  async #htmlReport(req: KeepRequest, root: string): Promise<Candidate | null> {
    let dir: string;
    try {
      dir = await realpath(req.htmlDir);
    } catch {
      return null;
    }
    if (!dir.startsWith(root + sep)) return null;
    const files: { path: string; name: string; size: number }[] = [];
    const walk = async (at: string, depth: number): Promise<boolean> => {
      for (const e of await readdir(at, { withFileTypes: true })) {
        const path = join(at, e.name);
        // Symlinks are neither: never followed.
        if (e.isDirectory() && depth < 8) {
          if (!(await walk(path, depth + 1))) return false;
        } else if (e.isFile()) {
          if (files.length >= MAX_REPORT_FILES) return false;
          const rel = relative(dir, path).split(sep);
          files.push({ path, name: `${req.browser}/report/${rel.map(safeName).join('/')}`, size: (await lstat(path)).size });
        }
      }
      return true;
    };
    if (!(await walk(dir, 0))) return null;
    const index = files.find((f) => f.name === `${req.browser}/report/index.html`);
    if (!index) return null;
    return { kind: 'report-html', name: index.name, files, size: files.reduce((n, f) => n + f.size, 0) };
  }
}
