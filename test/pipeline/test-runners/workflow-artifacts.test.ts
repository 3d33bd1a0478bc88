// The github-workflow runner with artifacts: what the workflow uploaded (its JSON report, the HTML
// report, test-results/ with the failure's screenshot and trace) is downloaded through GitHub's
// redirect, unpacked, read for the counts and failed tests, and kept like the command runner's, with
// the runner machine's paths matched to the unpacked files. A zip that would write outside its folder
// is refused, and costs only that artifact.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yazl from 'yazl';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalArtifactDir } from '../../../src/artifacts/local-dir.ts';
import { ArtifactKeeper } from '../../../src/pipeline/test-runners/artifact-keeper.ts';
import { GithubWorkflowRunner } from '../../../src/pipeline/test-runners/github-workflow-runner.ts';
import { unzipInto } from '../../../src/pipeline/test-runners/workflow-artifacts.ts';
import { startFakeGithub, type FakeGithub } from './support/fake-github-actions.ts';

const RUNNER_DIR = '/home/runner/work/e2e/e2e';
const RESULTS = 'test-results/failures-shows-the-maintenance-banner-chromium-retry1';
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

let fake: FakeGithub | null = null;
let root: string | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
  if (root) await rm(root, { recursive: true, force: true });
  root = null;
});

/** The real report a Playwright 1.65 run wrote, with the failing attempt's screenshot and trace as a runner would name them. */
async function workflowReport(): Promise<Buffer> {
  const report = JSON.parse(await readFile(new URL('./fixtures/real-chromium-1.65.json', import.meta.url), 'utf8'));
  const failing = report.suites[0].specs[0].tests[0];
  failing.results.at(-1).attachments = [
    { name: 'screenshot', contentType: 'image/png', path: `${RUNNER_DIR}/${RESULTS}/test-failed-1.png` },
    { name: 'trace', contentType: 'application/zip', path: `${RUNNER_DIR}/${RESULTS}/trace.zip` },
  ];
  return Buffer.from(JSON.stringify(report));
}

function zip(entries: Record<string, Buffer | string>, opts: { symlink?: string } = {}): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, body] of Object.entries(entries)) z.addBuffer(Buffer.from(body), name);
  if (opts.symlink) z.addBuffer(Buffer.from('/etc/passwd'), opts.symlink, { mode: 0o120777 });
  z.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject);
  });
}

describe('github-workflow runner artifacts', () => {
  it('downloads, unpacks and keeps what the workflow uploaded, with the counts and failures from its report', async () => {
    const results = await zip({
      'report.json': await workflowReport(),
      [`${RESULTS}/test-failed-1.png`]: PNG,
      [`${RESULTS}/trace.zip`]: 'PK-trace',
    }, { symlink: `${RESULTS}/escape.png` });
    const html = await zip({ 'index.html': '<title>Playwright Test Report</title>', 'data/abc.png': PNG });
    fake = await startFakeGithub({ plan: () => ({ conclusion: 'failure', completesOnLook: 1 }), artifacts: [{ name: 'results-chrome', zip: results }, { name: 'playwright-report', zip: html }, { name: 'old', zip: html, expired: true }] });
    root = await mkdtemp(join(tmpdir(), 'stagebot-workflow-artifacts-'));
    const keeper = new ArtifactKeeper({ storage: new LocalArtifactDir(root), maxRunBytes: 10 * 1024 * 1024 });
    const runner = new GithubWorkflowRunner({ baseUrl: fake.baseUrl, getToken: () => 'ghs_token', repository: 'acme/e2e', workflow: 'playwright.yml', ref: 'main', pollIntervalMs: 5, retries: 0, throttle: false, artifacts: keeper });
    const lines: string[] = [];
    const result = await runner.run(
      { runId: 'stg4-20261121-a1b2c3', browser: 'chrome', project: 'chromium', baseUrl: 'https://stg4.example', testUser: '', testPassword: undefined, workers: 1, retries: 1, maxWaitMs: 10_000, ref: null },
      { signal: new AbortController().signal, onOutput: (l) => lines.push(l) },
    );

    expect(result).toMatchObject({ outcome: 'failed', passed: 1, failed: 1, flaky: 1, skipped: 1, failingTests: ['failures.spec.ts › shows the maintenance banner'] });
    expect(result.failures).toEqual([{ title: 'failures.spec.ts › shows the maintenance banner', location: 'failures.spec.ts:6', error: 'Error: expect(locator).toBeVisible() failed' }]);
    expect(result.artifacts?.items.map((i) => [i.kind, i.name])).toEqual([
      ['report-json', 'chrome/report.json'],
      ['screenshot', 'chrome/failures/1/test-failed-1.png'],
      ['trace', 'chrome/failures/1/trace.zip'],
      ['report-html', 'chrome/report/index.html'],
    ]);
    expect(await readFile(join(root, 'stg4-20261121-a1b2c3', 'chrome/failures/1/test-failed-1.png'))).toEqual(PNG);
    expect(lines).toContain('workflow artifact not kept: old: expired on GitHub');
    // The download followed GitHub's redirect to its blob URL.
    expect(fake.requests.filter((r) => r.path.startsWith('/blob/')).map((r) => r.path)).toEqual(['/blob/0', '/blob/1']);
  });

  it('refuses a zip entry that would land outside its folder, and one past the size left', async () => {
    root = await mkdtemp(join(tmpdir(), 'stagebot-unzip-'));
    // yazl will not write `../`: a placeholder of the same length, swapped in the local and central headers.
    const made = await zip({ 'ok.txt': 'fine', 'QQQQQQ/escape.txt': 'no' });
    const evil = Buffer.from(made.toString('latin1').replaceAll('QQQQQQ', '../../'), 'latin1');
    await expect(unzipInto(evil, join(root, 'a'), 1_000)).rejects.toThrow(/invalid relative path|outside its folder/);
    await expect(readFile(join(root, '..', 'escape.txt'))).rejects.toThrow();
    const big = await zip({ 'big.bin': Buffer.alloc(5_000) });
    await expect(unzipInto(big, join(root, 'b'), 1_000)).rejects.toThrow(/more than the 1000 bytes/);
  });
});
