// `node bench/slack-ack.ts`: how fast the Slack front acknowledges `/stage status` and `/stage launch`
// under a bounded burst (200 correctly signed requests, 50 at a time, over loopback) through
// stagebot's real HTTP server — and, in the same run, a bare Bolt app whose only listener calls
// ack(). Each side has its own process: the load generator, the bare Bolt app, and the fake Slack
// Web API (which takes the parent messages, thread replies and response_url answers) each run in a
// child, so only stagebot's own work shares stagebot's event loop. The launches really launch (runs
// queue for an environment on the fake cloud, a SQLite file), so their work after the ack competes
// with the acks as it would in production. Bounded (fixed counts, a 120 s guard); stops by itself.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { App, HTTPReceiver } from '@slack/bolt';
import { createSlackFront } from '../src/bot/slack/index.ts';
import { boltLogger } from '../src/bot/slack/bolt-logger.ts';
import type { Config } from '../src/config/index.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { CommandExecutor } from '../src/commands/executor.ts';
import { Engine } from '../src/pipeline/engine.ts';
import type { Pipeline } from '../src/pipeline/pipeline.ts';
import type { PipelineStep, StepResult } from '../src/pipeline/run-context.ts';
import type { StepName } from '../src/pipeline/step-outputs.ts';
import type { BrowserJob, BrowserResult } from '../src/pipeline/test-runners/types.ts';
import { openStore } from '../src/store/index.ts';
import { createHttpServer, listen } from '../src/web/server.ts';
import { createFakeAwsClients, FakeCloud } from '../test/fakes/cloud/index.ts';
import { startFakeSlack } from '../test/bot/slack/support/fake-slack.ts';
import { send, signedHeaders, slashCommandBody } from '../test/bot/slack/support/signed.ts';
import { benchConfig } from './config.ts';

const REQUESTS = 200;
const CONCURRENCY = 50;
const WARMUP = 20;
const SECRET = 'bench-signing-secret';
const CHANNEL = 'C0BENCH';
const GUARD_MS = 120_000;
/** Steps take a while, as real ones do: runs are in flight during the burst, not all done in it. */
const STEP_MS = 1_000;

const guard = setTimeout(() => {
  process.stderr.write(`bench/slack-ack.ts: gave up after ${GUARD_MS / 1000} s\n`);
  process.exit(1);
}, GUARD_MS);
guard.unref();

// ---- the children -----------------------------------------------------------------------------

/** Sends `count` signed `/stage <text>` requests, CONCURRENCY at a time; returns each one's latency (ms). */
async function clientBurst(url: string, text: string, count: number, responseUrl: string): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const body = slashCommandBody({ text, channel_id: CHANNEL, response_url: responseUrl });
      const res = await send(url, body, signedHeaders(SECRET, body, 'application/x-www-form-urlencoded'));
      if (res.status !== 200) failures += 1;
      latencies.push(res.ms);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (failures > 0) throw new Error(`${failures} of ${count} requests to ${url} were not acknowledged with 200`);
  return latencies;
}

/** A Bolt app as its README starts one: its own HTTPReceiver and server, one listener that acks. */
async function bareBolt(): Promise<string> {
  const receiver = new HTTPReceiver({ signingSecret: SECRET, logger: boltLogger(silentLogger()) });
  const app = new App({ receiver, authorize: async () => ({ botToken: 'xoxb-bench' }), logger: boltLogger(silentLogger()) });
  app.command('/stage', async ({ ack }) => {
    await ack();
  });
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
}

/** The fake Slack, plus a /stats page saying what it received. */
async function slackSide(): Promise<{ apiUrl: string; responseUrl: string; statsUrl: string }> {
  const slack = await startFakeSlack();
  const stats: Server = createServer((_req, res) => {
    const parents = slack.parents().length;
    res.end(JSON.stringify({ parents, replies: slack.messages.length - parents, updates: slack.callsOf('chat.update').length, responses: slack.responses.length }));
  });
  await new Promise<void>((resolve) => stats.listen(0, '127.0.0.1', () => resolve()));
  return { apiUrl: slack.apiUrl, responseUrl: slack.responseUrl('bench'), statsUrl: `http://127.0.0.1:${(stats.address() as AddressInfo).port}/` };
}

const role = process.argv[2];
if (role === '--client') {
  const a = JSON.parse(process.argv[3] ?? '{}') as { url: string; text: string; responseUrl: string };
  // Warm the client and the server's path first; only the second burst is measured.
  await clientBurst(a.url, a.text, WARMUP, a.responseUrl);
  const latencies = await clientBurst(a.url, a.text, REQUESTS, a.responseUrl);
  process.stdout.write(JSON.stringify(latencies), () => process.exit(0));
  await new Promise(() => undefined);
}
if (role === '--bare' || role === '--slack') {
  const info = role === '--bare' ? { url: await bareBolt() } : await slackSide();
  process.stdout.write(`${JSON.stringify(info)}\n`);
  // Lives until the parent closes its stdin (or dies).
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
  await new Promise(() => undefined);
}

/** Starts this file in `role` and reads the one JSON line it prints when it is ready. */
async function child<T>(childRole: string): Promise<{ info: T; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [import.meta.filename, childRole], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`bench child ${childRole} exited (${code}) before it was ready`)));
  });
  return { info: JSON.parse(line) as T, proc };
}

async function burst(url: string, text: string, responseUrl: string): Promise<number[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [import.meta.filename, '--client', JSON.stringify({ url, text, responseUrl })], { timeout: 60_000 });
  return JSON.parse(stdout) as number[];
}

// ---- stagebot, in this process ------------------------------------------------------------------

const config = (): Config => benchConfig({ browsers: { chrome: {}, firefox: {} }, slack: { channels: [CHANNEL] } });

const slowStep = (name: StepName): PipelineStep => ({
  name,
  safeToRepeat: true,
  run: async (ctx): Promise<StepResult> => {
    await delay(STEP_MS, undefined, { signal: ctx.signal });
    // The tests step hands on what a real one would; the others' outputs are not read here.
    return { outputs: name === 'tests' ? { results: [], allPassed: true, summary: 'all 0 browsers passed' } : {} };
  },
});
const pipeline: Pipeline = {
  parallel: [slowStep('prepare-tests')],
  chain: (['launch', 'open-ssh', 'wait-ssh', 'service-update', 'register', 'tests'] as const).map(slowStep),
  after: [],
  teardown: { name: 'teardown', safeToRepeat: true, run: async () => ({ outputs: { deleted: 0, alreadyGone: 0, failed: [] } }) },
};
const passingRunner = {
  async run(job: BrowserJob): Promise<BrowserResult> {
    return { browser: job.browser, outcome: 'passed', passed: 1, failed: 0, flaky: 0, skipped: 0, failingTests: [], durationMs: 1, reportUrl: null, detail: null };
  },
};

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const dir = await mkdtemp(join(tmpdir(), 'stagebot-bench-slack-'));
const slackChild = await child<{ apiUrl: string; responseUrl: string; statsUrl: string }>('--slack');
const bareChild = await child<{ url: string }>('--bare');
try {
  const { apiUrl, responseUrl, statsUrl } = slackChild.info;
  const store = await openStore({ sqlitePath: join(dir, 'bench.db') });
  const cfg = config();
  const engine = new Engine({
    config: cfg,
    store,
    aws: createFakeAwsClients(new FakeCloud({ latencyMs: 0 })),
    logger: silentLogger(),
    testRunner: passingRunner,
    pipeline,
    checkAccount: async () => undefined,
  });
  const commands = new CommandExecutor({ engine, store, helpPrefix: '/stage' });
  const front = await createSlackFront({
    commands,
    memory: store,
    logger: silentLogger(),
    settings: { enabled: true, mode: 'http', botToken: 'xoxb-bench', signingSecret: SECRET, appToken: undefined, apiUrl },
  });
  // Also timed inside stagebot: from the route handler's call to the ack's last byte handed to the
  // socket. The client's figure adds the loopback trip and the client waiting for a core while
  // stagebot does the work behind the acks on this 2-core machine.
  const inside: number[] = [];
  const timed = {
    ...front,
    handler: (req: IncomingMessage, res: ServerResponse) => {
      const started = performance.now();
      res.once('finish', () => inside.push(performance.now() - started));
      return front.handler(req, res);
    },
  };
  const ours = await listen(createHttpServer({ logger: silentLogger(), metrics: createMetrics({ defaultMetrics: false }), fronts: [timed], ready: async () => undefined }), 0, '127.0.0.1');
  await engine.start();
  const oursUrl = `${ours.url}/slack/events`;

  const rows: { what: string; ours: number[]; bare: number[]; inside: number[] }[] = [];
  for (const text of ['status', 'launch stg1']) {
    const b = await burst(bareChild.info.url, text, responseUrl);
    inside.length = 0;
    const o = await burst(oursUrl, text, responseUrl);
    // The child's warm-up requests come first; the measured ones are the last REQUESTS.
    rows.push({ what: `/stage ${text.split(' ')[0]}`, ours: o, bare: b, inside: inside.slice(-REQUESTS) });
  }

  // The launches were real: wait (bounded) until every one has its parent message in Slack.
  const launches = WARMUP + REQUESTS;
  const readStats = async () => (await (await fetch(statsUrl)).json()) as { parents: number; replies: number; updates: number; responses: number };
  const deadline = performance.now() + 60_000;
  let stats = await readStats();
  while (stats.parents < launches) {
    if (performance.now() > deadline) throw new Error(`only ${stats.parents} of ${launches} parent messages were posted within 60 s`);
    await delay(200);
    stats = await readStats();
  }
  const runs = await store.listRuns();
  const states = new Map<string, number>();
  for (const r of runs) states.set(r.state, (states.get(r.state) ?? 0) + 1);

  const fmt = (xs: number[]) => `${percentile(xs, 50).toFixed(1).padStart(6)} / ${percentile(xs, 99).toFixed(1).padStart(6)}`;
  const ratio = (o: number[], b: number[], p: number) => `${(percentile(o, p) / percentile(b, p)).toFixed(2)}x`;
  console.log(`slack ack latency: ${REQUESTS} signed slash commands, ${CONCURRENCY} at a time, loopback; p50 / p99 in ms`);
  console.log(`${''.padEnd(16)}${'stagebot'.padStart(17)}${'bare Bolt'.padStart(17)}${'ratio p50 / p99'.padStart(20)}${'inside stagebot'.padStart(19)}`);
  for (const r of rows) {
    console.log(
      `${r.what.padEnd(16)}${fmt(r.ours).padStart(17)}${fmt(r.bare).padStart(17)}${`${ratio(r.ours, r.bare, 50)} / ${ratio(r.ours, r.bare, 99)}`.padStart(20)}${fmt(r.inside).padStart(19)}`,
    );
  }
  console.log('(inside stagebot: from the route handler to the ack handed to the socket, same requests)');
  console.log(
    `behind the acks: ${runs.length} runs (${[...states].map(([k, n]) => `${n} ${k}`).join(', ')}), ${stats.parents} parent messages, ` +
      `${stats.updates} parent updates, ${stats.replies} thread replies, ${stats.responses} response_url answers; steps take ${STEP_MS} ms`,
  );

  await ours.close(1_000);
  await front.stop();
  engine.abandon();
  await engine.stop(0);
  await store.close();
} finally {
  for (const c of [slackChild.proc, bareChild.proc]) c.stdin?.end();
  await rm(dir, { recursive: true, force: true });
}
