// What the keeper keeps of a browser's Playwright output under the run's size cap: the JSON report
// first (even past the cap), then the first failure's screenshot and trace, the other failures', the
// HTML report whole or not at all, videos last; what did not fit is listed with why. Files outside the
// job's folder (a test can attach any path) and symlinks out of it are never kept.
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactDir } from '../../../src/artifacts/local-dir.ts';
import { ArtifactKeeper, type KeepRequest } from '../../../src/pipeline/test-runners/artifact-keeper.ts';
import type { FailedTest, PlaywrightSummary } from '../../../src/pipeline/test-runners/playwright-report.ts';

const KB = 1024;
const RUN = 'stg4-20261121-a1b2c3';
let root: string;
let out: string;
let store: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stagebot-keeper-'));
  out = join(root, 'job');
  store = join(root, 'store');
  await mkdir(join(out, 'test-results'), { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function file(rel: string, size: number, dir = out): Promise<string> {
  const path = join(dir, rel);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, Buffer.alloc(size, 1));
  return path;
}

async function failure(n: number, sizes: { screenshot?: number; trace?: number; video?: number; context?: number }): Promise<FailedTest> {
  const dir = `test-results/t${n}`;
  const attachments = [];
  if (sizes.screenshot) attachments.push({ name: 'screenshot', contentType: 'image/png', path: await file(`${dir}/test-failed-1.png`, sizes.screenshot) });
  if (sizes.trace) attachments.push({ name: 'trace', contentType: 'application/zip', path: await file(`${dir}/trace.zip`, sizes.trace) });
  if (sizes.video) attachments.push({ name: 'video', contentType: 'video/webm', path: await file(`${dir}/video.webm`, sizes.video) });
  if (sizes.context) attachments.push({ name: 'error-context', contentType: 'text/markdown', path: await file(`${dir}/error-context.md`, sizes.context) });
  return { title: `t${n}.spec.ts › fails ${n}`, location: `t${n}.spec.ts:3`, error: 'Error: boom', attachments };
}

function summary(failures: FailedTest[]): PlaywrightSummary {
  return { passed: 0, failed: failures.length, flaky: 0, skipped: 0, failingTests: failures.map((f) => f.title), failures, errors: [], durationMs: 1 };
}

async function request(browser: string, failures: FailedTest[], opts: { html?: number; json?: number } = {}): Promise<KeepRequest> {
  const reportFile = await file('report.json', opts.json ?? KB);
  if (opts.html) {
    await file('html-report/index.html', opts.html);
    await file('html-report/data/abc.png', opts.html);
  }
  return { runId: RUN, browser, outputDir: out, reportFile, htmlDir: join(out, 'html-report'), summary: summary(failures) };
}

describe('ArtifactKeeper', () => {
  it('keeps everything, in order of use, when it fits', async () => {
    const keeper = new ArtifactKeeper({ storage: new LocalArtifactDir(store), maxRunBytes: 10 * 1024 * KB, now: () => new Date('2026-11-21T10:00:00Z') });
    const kept = await keeper.keep(await request('chrome', [await failure(1, { screenshot: 10 * KB, trace: 50 * KB, video: 100 * KB, context: KB })], { html: 5 * KB }));
    expect(kept.keptAt).toBe('2026-11-21T10:00:00.000Z');
    expect(kept.skipped).toEqual([]);
    expect(kept.items.map((i) => [i.kind, i.name, i.size, i.failure])).toEqual([
      ['report-json', 'chrome/report.json', KB, undefined],
      ['screenshot', 'chrome/failures/1/test-failed-1.png', 10 * KB, 1],
      ['trace', 'chrome/failures/1/trace.zip', 50 * KB, 1],
      ['attachment', 'chrome/failures/1/error-context.md', KB, 1],
      ['report-html', 'chrome/report/index.html', 10 * KB, undefined],
      ['video', 'chrome/failures/1/video.webm', 100 * KB, 1],
    ]);
    // Stored where the links will look for them, byte for byte.
    expect((await readFile(join(store, RUN, 'chrome/report/data/abc.png'))).length).toBe(5 * KB);
  });

  it('at the cap, keeps the report and the first failure first, and lists what it left out with why', async () => {
    // 1 MB: the report (1 KB), failure 1 (600 KB), then failure 2's trace (500 KB) no longer fits; its screenshot does.
    const keeper = new ArtifactKeeper({ storage: new LocalArtifactDir(store), maxRunBytes: 1024 * KB });
    const f1 = await failure(1, { screenshot: 100 * KB, trace: 500 * KB, video: 400 * KB });
    const f2 = await failure(2, { screenshot: 100 * KB, trace: 500 * KB });
    const kept = await keeper.keep(await request('chrome', [f1, f2], { html: 200 * KB }));
    expect(kept.items.map((i) => i.name)).toEqual(['chrome/report.json', 'chrome/failures/1/test-failed-1.png', 'chrome/failures/1/trace.zip', 'chrome/failures/2/test-failed-1.png']);
    expect(kept.skipped.map((s) => [s.kind, s.name, s.size, s.reason])).toEqual([
      ['trace', 'chrome/failures/2/trace.zip', 500 * KB, "over the run's 1MB cap"],
      ['report-html', 'chrome/report/index.html', 400 * KB, "over the run's 1MB cap"],
      ['video', 'chrome/failures/1/video.webm', 400 * KB, "over the run's 1MB cap"],
    ]);
    const stored = await new LocalArtifactDir(store).list(RUN);
    expect(stored.reduce((n, f) => n + f.size, 0)).toBeLessThanOrEqual(1024 * KB);
  });

  it('shares the cap between the browsers of a run, and still keeps a later browser\'s JSON report', async () => {
    const keeper = new ArtifactKeeper({ storage: new LocalArtifactDir(store), maxRunBytes: 1024 * KB });
    const first = await keeper.keep(await request('chrome', [await failure(1, { trace: 1000 * KB })]));
    expect(first.skipped).toEqual([]);
    const second = await keeper.keep(await request('firefox', [await failure(1, { trace: 100 * KB })], { json: 2 * KB }));
    expect(second.items.map((i) => i.name)).toEqual(['firefox/report.json']);
    expect(second.skipped.map((s) => s.name)).toEqual(['firefox/failures/1/trace.zip']);
  });

  it('never keeps a file outside the job\'s folder, whatever the report says, nor follows a symlink out of it', async () => {
    const secret = await file('stagebot.db', 3 * KB, root);
    await symlink(secret, join(out, 'test-results', 'link.png'));
    const f: FailedTest = {
      title: 'x',
      location: null,
      error: null,
      attachments: [
        { name: 'screenshot', contentType: 'image/png', path: secret },
        { name: 'screenshot', contentType: 'image/png', path: join(out, 'test-results', 'link.png') },
        { name: 'trace', contentType: 'application/zip', path: join(out, 'test-results', 'gone.zip') },
      ],
    };
    const kept = await new ArtifactKeeper({ storage: new LocalArtifactDir(store), maxRunBytes: 1024 * KB }).keep(await request('chrome', [f]));
    expect(kept.items.map((i) => i.name)).toEqual(['chrome/report.json']);
    expect(kept.skipped).toEqual([
      { kind: 'screenshot', name: 'stagebot.db', size: 3 * KB, reason: "outside the run's output folder ($TEST_OUTPUT_DIR)", failure: 1 },
      { kind: 'screenshot', name: 'link.png', size: 3 * KB, reason: "outside the run's output folder ($TEST_OUTPUT_DIR)", failure: 1 },
    ]);
  });
});
