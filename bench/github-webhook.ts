// `node bench/github-webhook.ts`: how long stagebot's GitHub front takes to answer a webhook, next to
// a bare Probot app (one empty `issue_comment` handler) in the same process and run. Each side gets
// the same bounded bursts of correctly signed `issue_comment` deliveries over loopback, 50 at a time;
// stagebot's are `/e2e help` on an allowed repository, so each one is parsed, claimed in the store
// (SQLite) and answered through the GitHub API in the background while the burst goes on. Rounds
// alternate between the two sides so that machine noise hits both. The fake GitHub API runs in a
// worker thread: like the real one, it is not on stagebot's event loop. Bounded; stops by itself.
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Probot, ProbotOctokit, createNodeMiddleware } from 'probot';
import { openServices } from '../src/app/open-services.ts';
import { createGithubFront } from '../src/bot/github/index.ts';
import type { Config } from '../src/config/index.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { openStore } from '../src/store/index.ts';
import { createHttpServer, listen } from '../src/web/server.ts';
import { createFakeAwsClients, FakeCloud } from '../test/fakes/cloud/index.ts';
import { FakeGithub } from '../test/bot/github/support/fake-github.ts';
import { prCommentPayload, sign } from '../test/bot/github/support/webhooks.ts';
import { benchConfig } from './config.ts';

const DELIVERIES = 200;
const CONCURRENCY = 50;
const ROUNDS = 3;
const WARMUP = 50;
const GUARD_MS = 120_000;
const APP_ID = '4242';
const SECRET = 'bench-webhook-secret';
const PATH = '/api/github/webhooks';
/** What stagebot's deliveries say; BENCH_TEXT='just a comment' measures a comment it ignores. */
const TEXT = process.env['BENCH_TEXT'] ?? '/e2e help';

function config(): Config {
  return benchConfig({ browsers: { chrome: {} }, github: { repositories: { 'Codertocat/Hello-World': { allowForks: false } } } });
}

/** The worker thread: the fake GitHub API; says how many replies it received when asked. */
async function fakeGithubWorker(): Promise<void> {
  const github = await new FakeGithub({ appId: APP_ID, publicKey: createPublicKey(workerData.publicKey as string) }).start();
  github.permissions.set('Codertocat', 'write');
  parentPort!.on('message', (msg: string) => {
    if (msg === 'replies') parentPort!.postMessage({ replies: github.calls('POST', /\/issues\/1\/comments$/).length });
    if (msg === 'stop') void github.stop().then(() => parentPort!.close());
  });
  parentPort!.postMessage({ url: github.url });
}

function ask<T>(worker: Worker, msg: string): Promise<T> {
  return new Promise((resolve) => {
    worker.once('message', resolve);
    worker.postMessage(msg);
  });
}

/** Bodies are built before the clock starts: only the HTTP round trip is timed. */
function bodies(text: string, count: number): string[] {
  return Array.from({ length: count }, () => JSON.stringify(prCommentPayload({ body: text }).payload));
}

async function burst(url: string, payloads: string[]): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < payloads.length) {
      const body = payloads[next++]!;
      const started = performance.now();
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issue_comment',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': sign(SECRET, body),
        },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return latencies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function benchmark(): Promise<void> {
  const guard = setTimeout(() => {
    process.stderr.write(`bench/github-webhook.ts: gave up after ${GUARD_MS / 1000} s\n`);
    process.exit(1);
  }, GUARD_MS);
  guard.unref();

  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKey = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const fake = new Worker(new URL(import.meta.url), { workerData: { publicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString() } });
  const { url: apiUrl } = await new Promise<{ url: string }>((resolve, reject) => {
    fake.once('message', resolve);
    fake.once('error', reject);
  });

  const dir = await mkdtemp(join(tmpdir(), 'stagebot-bench-gh-'));
  const store = await openStore({ sqlitePath: join(dir, 'store.db') });
  const logger = silentLogger();
  const services = await openServices({ config: config(), logger, background: false, store, aws: createFakeAwsClients(new FakeCloud()), env: {} });
  const settings = { enabled: true as const, appId: APP_ID, privateKey, privateKeyPath: undefined, webhookSecret: SECRET, apiUrl };
  const front = await createGithubFront({ commands: services.commands, memory: services.store, logger, settings, octokit: { retry: false, throttle: false } });
  const stagebot = await listen(createHttpServer({ logger, metrics: createMetrics({ defaultMetrics: false }), fronts: [front], ready: async () => undefined }), 0, '127.0.0.1');

  // The bare app: Probot's own middleware on a plain node:http server, an empty handler.
  const probot = new Probot({ appId: APP_ID, privateKey, secret: SECRET, baseUrl: apiUrl, log: logger as never, Octokit: ProbotOctokit });
  const bareMiddleware = await createNodeMiddleware((app) => app.on('issue_comment.created', async () => undefined), { probot, webhooksPath: PATH });
  const bareServer: Server = createServer((req, res) => void bareMiddleware(req, res, () => res.writeHead(404).end()));
  await new Promise<void>((resolve) => bareServer.listen(0, '127.0.0.1', resolve));

  const sides = [
    { name: 'bare Probot', url: `http://127.0.0.1:${(bareServer.address() as AddressInfo).port}${PATH}` },
    { name: 'stagebot', url: `${stagebot.url}${PATH}` },
  ];
  const results = new Map<string, number[]>(sides.map((s) => [s.name, []]));
  const settleMs: number[] = [];

  for (const side of sides) await burst(side.url, bodies(TEXT, WARMUP));
  await front.flush();
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const payloads = bodies(TEXT, DELIVERIES);
      results.get(side.name)!.push(...(await burst(side.url, payloads)));
      // stagebot's replies still going out would otherwise slow the bare app's next burst.
      const settleStarted = performance.now();
      await front.flush();
      settleMs.push(performance.now() - settleStarted);
    }
  }
  const { replies } = await ask<{ replies: number }>(fake, 'replies');

  process.stdout.write(`${ROUNDS} rounds × ${DELIVERIES} signed issue_comment deliveries (${JSON.stringify(TEXT)}), ${CONCURRENCY} at a time, loopback, sides alternating\n`);
  const stats = new Map<string, { p50: number; p99: number }>();
  for (const side of sides) {
    const sorted = [...results.get(side.name)!].sort((a, b) => a - b);
    const s = { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    stats.set(side.name, s);
    process.stdout.write(`${side.name.padEnd(12)} p50 ${s.p50.toFixed(1).padStart(6)} ms   p99 ${s.p99.toFixed(1).padStart(6)} ms   (${sorted.length} deliveries)\n`);
  }
  const bare = stats.get('bare Probot')!;
  const ours = stats.get('stagebot')!;
  process.stdout.write(`ratio stagebot / bare Probot: p50 ${(ours.p50 / bare.p50).toFixed(2)}×, p99 ${(ours.p99 / bare.p99).toFixed(2)}×\n`);
  process.stdout.write(`stagebot replied to ${replies} comments on the fake API; the last replies of a burst went out up to ${Math.max(...settleMs).toFixed(0)} ms after it\n`);

  await stagebot.close(1_000);
  await new Promise<void>((resolve) => bareServer.close(() => resolve()));
  await front.stop();
  await services.close();
  await store.close();
  fake.postMessage('stop');
  await new Promise((resolve) => fake.once('exit', resolve));
  await rm(dir, { recursive: true, force: true });
}

if (isMainThread) await benchmark();
else await fakeGithubWorker();
