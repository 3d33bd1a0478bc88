// `node bench/dashboard.ts`: what each dashboard page weighs and how soon it paints, measured in
// Debian's Chromium (playwright-core) against the real server on 127.0.0.1, over a store that holds a
// month of an installation's life: 300 finished runs on the example config's four environments, a run
// in progress, two queued, and a sweep that found 12 orphans in the fake cloud. Per page: bytes
// transferred on a first visit (empty cache) and on a repeat visit, and first paint / first
// contentful paint (Paint Timing), the median of 5 visits each. Bounded (a 120 s guard); stops by itself.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { chatLinks } from '../src/app/fronts.ts';
import { mountDashboard } from '../src/app/dashboard.ts';
import { openServices } from '../src/app/open-services.ts';
import { TAG } from '../src/aws/tags.ts';
import { loadConfig } from '../src/config/index.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { createHttpServer, listen } from '../src/web/server.ts';
import { createFakeAwsClients, FakeCloud } from '../test/fakes/cloud/index.ts';

const GUARD_MS = 120_000;
const VISITS = 5;
const RUNS = 300;
const ORPHANS = 12;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const guard = setTimeout(() => {
  process.stderr.write(`bench/dashboard.ts: gave up after ${GUARD_MS / 1000} s\n`);
  process.exit(1);
}, GUARD_MS);
guard.unref();

if (!existsSync(CHROMIUM)) {
  process.stdout.write(`no Chromium at ${CHROMIUM} (set CHROMIUM_PATH): nothing measured\n`);
  process.exit(0);
}

const STEPS = ['prepare-tests', 'launch', 'open-ssh', 'wait-ssh', 'arm-switch', 'service-update', 'register', 'tests', 'teardown'];
const ENVS = ['stg1', 'stg2', 'stg3', 'stg4'];
const PEOPLE = ['slack:U0ALICE', 'slack:U0BOB', 'github:octocat', 'github:mona', 'cli:ci', 'slack:U0CAROL'] as const;
const hex = (n: number) => n.toString(16).padStart(6, '0');

async function seedRun(store: Store, i: number, at: Date, state: 'succeeded' | 'failed' | 'running' | 'queued'): Promise<string> {
  const env = ENVS[i % ENVS.length]!;
  const id = `${env}-${at.toISOString().slice(0, 10).replaceAll('-', '')}-${hex(i)}`;
  const requester = PEOPLE[i % PEOPLE.length]!;
  await store.createRun({ id, env: state === 'queued' ? null : env, requester, source: requester.split(':')[0] as 'slack', options: { browsers: ['chrome', 'firefox'] }, createdAt: at, state });
  if (state === 'queued') return id;
  await store.updateRun(id, { startedAt: at, ...(state === 'running' ? {} : { finishedAt: new Date(at.getTime() + 38 * 60_000), error: state === 'failed' ? '1 of 2 browsers failed: firefox (3 failed)' : null }) });
  let t = at.getTime();
  for (const name of STEPS) {
    if (state === 'running' && name === 'teardown') break;
    const running = state === 'running' && name === 'tests';
    const outputs =
      name === 'tests' && !running
        ? { results: ['chrome', 'firefox'].map((b) => ({ browser: b, outcome: state === 'failed' && b === 'firefox' ? 'failed' : 'passed', passed: 120, failed: state === 'failed' && b === 'firefox' ? 3 : 0, flaky: 1, skipped: 4, failingTests: state === 'failed' && b === 'firefox' ? ['checkout.spec.ts › cart › applies a coupon', 'login.spec.ts › sign in › remembers me', 'search.spec.ts › filters › by price'] : [], durationMs: 900_000, reportUrl: `https://reports.acme.example/${id}/${b}/`, detail: null })) }
        : name === 'launch'
          ? { instanceId: `i-${hex(i)}0000000000a`, instanceType: 't3.2xlarge', publicIp: '203.0.113.50' }
          : {};
    await store.upsertStep({ runId: id, name, state: running ? 'running' : 'succeeded', startedAt: new Date(t), finishedAt: running ? null : new Date(t + 240_000), outputs, error: null });
    await store.appendEvent(id, 'step.started', { type: 'step.started', step: name }, new Date(t));
    if (!running) await store.appendEvent(id, 'step.finished', { type: 'step.finished', step: name, durationMs: 240_000 }, new Date(t + 240_000));
    t += 240_000;
  }
  const deleted = state === 'running' ? null : new Date(t);
  await store.recordAsset({ runId: id, kind: 'instance', id: `i-${hex(i)}0000000000a`, region: 'us-east-1', createdAt: new Date(at.getTime() + 60_000), deletedAt: deleted });
  await store.recordAsset({ runId: id, kind: 'volume', id: `vol-${hex(i)}000000000a`, region: 'us-east-1', createdAt: new Date(at.getTime() + 60_000), deletedAt: deleted });
  return id;
}

const dir = await mkdtemp(join(tmpdir(), 'stagebot-bench-dashboard-'));
const loaded = await loadConfig({ path: join(import.meta.dirname, '..', 'stagebot.example.yml'), env: {} });
const config = { ...loaded.config, store: { sqlitePath: join(dir, 'store.db') } };
const store = await openStore({ sqlitePath: config.store.sqlitePath });
const now = Date.now();
for (let i = 0; i < RUNS; i++) await seedRun(store, i, new Date(now - 30 * 86_400_000 + (i + 1) * ((29 * 86_400_000) / RUNS)), i % 5 === 0 ? 'failed' : 'succeeded');
const live = await seedRun(store, RUNS, new Date(now - 20 * 60_000), 'running');
await store.claimLock({ env: 'stg1', holder: live, holderKind: 'run', reason: null, sticky: false, since: new Date(now - 20 * 60_000) });
await seedRun(store, RUNS + 1, new Date(now - 5 * 60_000), 'queued');
await seedRun(store, RUNS + 2, new Date(now - 2 * 60_000), 'queued');

const cloud = new FakeCloud();
for (let i = 0; i < ORPHANS; i++) {
  cloud.addInstance({
    region: i % 2 ? 'us-east-1' : 'eu-west-1',
    instanceType: 't3.2xlarge',
    launchedAt: new Date(now - (i + 1) * 86_400_000),
    tags: { [TAG.assetId]: `stg${(i % 4) + 1}-20261101-dead${hex(i).slice(2)}`, [TAG.managedBy]: config.installation, [TAG.env]: `stg${(i % 4) + 1}`, [TAG.requestedBy]: 'slack:U0GONE', [TAG.source]: 'slack' },
  });
}
const logger = silentLogger();
const services = await openServices({ config, logger, background: false, aws: createFakeAwsClients(cloud), store, env: {} });
await services.commands.execute({ verb: 'sweep', mode: 'dry-run', confirm: false }, { requester: 'cli:bench', source: 'cli', admin: true });
const dashboard = mountDashboard({ commands: services.commands, links: chatLinks(store, null, 'https://api.github.com', logger), env: {}, logger });
const server = await listen(createHttpServer({ logger, metrics: createMetrics({ defaultMetrics: false }), fronts: [], pages: dashboard, ready: () => store.ping() }), 0, '127.0.0.1');

const PAGES = [
  ['Environments', '/'],
  ['Runs', '/runs'],
  ['Run', `/runs/${(await store.listRuns({ states: ['failed'], limit: 1 }))[0]!.id}`],
  ['Orphans', '/orphans'],
  ['Spend', '/spend'],
] as const;

interface Visit {
  bytes: number;
  requests: number;
  /** Time to the first byte of the page (the server's rendering plus loopback). */
  ttfb: number;
  fp: number;
  fcp: number;
}

const MEASURE = `(() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const paint = Object.fromEntries(performance.getEntriesByType('paint').map((p) => [p.name, p.startTime]));
  return { bytes: nav.transferSize + res.reduce((n, r) => n + r.transferSize, 0), requests: 1 + res.length, ttfb: nav.responseStart, fp: paint['first-paint'] ?? NaN, fcp: paint['first-contentful-paint'] ?? NaN };
})()`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
const rows: string[] = [];
try {
  for (const [name, path] of PAGES) {
    const cold: Visit[] = [];
    const warm: Visit[] = [];
    for (let v = 0; v < VISITS; v++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${server.url}${path}`, { waitUntil: 'load' });
      // Paint entries are recorded a frame after the paint.
      await page.waitForFunction(() => performance.getEntriesByType('paint' as never).length >= 2, undefined, { timeout: 5_000 });
      cold.push(await page.evaluate<Visit>(MEASURE));
      await page.goto(`${server.url}${path}`, { waitUntil: 'load' });
      await page.waitForFunction(() => performance.getEntriesByType('paint' as never).length >= 2, undefined, { timeout: 5_000 });
      warm.push(await page.evaluate<Visit>(MEASURE));
      await context.close();
    }
    rows.push(
      `${name.padEnd(13)} ${String(median(cold.map((c) => c.bytes))).padStart(8)} B ${String(cold[0]!.requests).padStart(3)} req   ${String(median(warm.map((c) => c.bytes))).padStart(7)} B   TTFB ${median(cold.map((c) => c.ttfb)).toFixed(0).padStart(4)} ms   FP ${median(cold.map((c) => c.fp)).toFixed(0).padStart(4)} ms   FCP ${median(cold.map((c) => c.fcp)).toFixed(0).padStart(4)} ms   (repeat visit FCP ${median(warm.map((c) => c.fcp)).toFixed(0).padStart(4)} ms)`,
    );
  }
} finally {
  await browser.close();
  dashboard.stop();
  await server.close(1_000);
  await services.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
}
process.stdout.write(`dashboard pages in Chromium, ${RUNS} runs and ${ORPHANS} orphans in the store; median of ${VISITS} visits (gzip on)\n`);
process.stdout.write(`page          first visit (transferred)   repeat visit   times from navigation start (first visit)\n`);
for (const r of rows) process.stdout.write(`${r}\n`);
