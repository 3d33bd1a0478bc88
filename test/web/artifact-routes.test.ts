// The server's artifact and trace-viewer routes over HTTP: a signed link opens its file with the
// right type and headers that keep the link from leaking; an altered, expired or unsigned link gets one
// line saying why; the dashboard's access rules (a hook) may let unsigned paths through; the trace
// viewer's files are served from playwright-core and nothing outside them.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactDir } from '../../src/artifacts/local-dir.ts';
import { ArtifactLinks } from '../../src/commands/artifact-links.ts';
import { CommandExecutor } from '../../src/commands/executor.ts';
import type { Engine } from '../../src/pipeline/engine.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { artifactRoutes } from '../../src/web/artifact-routes.ts';
import { createHttpServer, listen, type RunningServer } from '../../src/web/server.ts';

const DAY = 86_400_000;
const RUN = 'stg4-20261121-a1b2c3';
let now = new Date('2026-11-21T10:00:00Z');
let root: string;
let server: RunningServer;
let unsignedAllowed = false;
const links = new ArtifactLinks({ key: Buffer.alloc(32, 9), linkTtlMs: 7 * DAY, retentionMs: 14 * DAY });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'stagebot-artifact-routes-'));
  const storage = new LocalArtifactDir(root);
  const src = join(root, 'src');
  await writeFile(src, '{"suites":[]}');
  await storage.put(RUN, 'chrome/report.json', { path: src });
  await storage.put(RUN, 'chrome/report/index.html', { path: src });
  // What a test could attach, and the report copies into data/: never a page on this origin.
  await storage.put(RUN, 'chrome/failures/1/evil.html', { path: src });
  await storage.put(RUN, 'chrome/report/data/0a1b.svg', { path: src });
  // The routes only need the executor's clock and its artifacts: no engine runs here.
  const commands = new CommandExecutor({ engine: { now: () => now } as unknown as Engine, store: {} as never, artifacts: { storage, links } });
  const routes = artifactRoutes({ commands, mayReadUnsigned: async () => unsignedAllowed });
  server = await listen(createHttpServer({ logger: silentLogger(), metrics: createMetrics({ defaultMetrics: false }), fronts: [], prefixes: routes, ready: async () => {} }), 0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close(1_000);
  await rm(root, { recursive: true, force: true });
});

const get = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);

describe('artifact routes', () => {
  const expires = new Date('2026-11-22T00:00:00Z');

  it('serves a signed file with its type, and headers that keep it from being sniffed or its link from leaking', async () => {
    const res = await get(links.path(RUN, 'chrome/report.json', expires));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await res.text()).toBe('{"suites":[]}');
    const head = await get(links.path(RUN, 'chrome/report.json', expires), { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, '13']);
    expect((await get(links.path(RUN, 'chrome/report.json', expires), { method: 'POST' })).status).toBe(405);
  });

  it('opens the HTML report as a page, but sends any other HTML or SVG a test produced as a download', async () => {
    const report = await get(links.path(RUN, 'chrome/report/index.html', expires, { folder: true }));
    expect([report.status, report.headers.get('content-type'), report.headers.get('content-disposition')]).toEqual([200, 'text/html; charset=utf-8', null]);
    for (const name of ['chrome/failures/1/evil.html', 'chrome/report/data/0a1b.svg']) {
      const res = await get(links.path(RUN, name, expires));
      expect([res.status, res.headers.get('content-type'), res.headers.get('content-disposition')], name).toEqual([
        200,
        'application/octet-stream',
        `attachment; filename="${name.split('/').pop()}"`,
      ]);
    }
  });

  it('says why a link does not open: altered, expired, deleted, or unsigned without access', async () => {
    const path = links.path(RUN, 'chrome/report.json', expires);
    const altered = await get(path.replace('report.json', 'report/index.html'));
    expect([altered.status, await altered.text()]).toEqual([403, 'this link is not valid (altered, or signed with another key)\n']);
    const gone = await get(links.path(RUN, 'chrome/missing.json', expires));
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain('deleted after its retention period?');
    const unsigned = await get(`/artifacts/-/${RUN}/chrome/report.json`);
    expect(unsigned.status).toBe(401);
    now = new Date(expires.getTime() + 1);
    try {
      const expired = await get(path);
      expect([expired.status, await expired.text()]).toEqual([410, "this link expired at 2026-11-22T00:00:00.000Z; the run's page has a fresh one\n"]);
    } finally {
      now = new Date('2026-11-21T10:00:00Z');
    }
  });

  it('lets the dashboard\'s access rules open unsigned paths', async () => {
    unsignedAllowed = true;
    try {
      expect((await get(`/artifacts/-/${RUN}/chrome/report/index.html`)).status).toBe(200);
      expect((await get(`/artifacts/-/${RUN}/..%2F..%2Fsrc`)).status).toBe(404);
    } finally {
      unsignedAllowed = false;
    }
  });

  it('serves the trace viewer playwright-core ships, and nothing outside it', async () => {
    const index = await get('/trace/index.html');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<title>Playwright Trace Viewer</title>');
    const worker = await get('/trace/sw.bundle.js');
    expect([worker.status, worker.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    expect((await get('/trace/')).status).toBe(200);
    expect((await get('/trace/..%2F..%2Fpackage.json')).status).toBe(404);
    expect((await get('/trace/nothing.js')).status).toBe(404);
  });
});
