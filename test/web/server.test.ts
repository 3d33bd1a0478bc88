import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../src/observability/metrics.ts';
import { createHttpServer, listen, type RunningServer } from '../../src/web/server.ts';
import { sendJson, type Front } from '../../src/web/routes.ts';
import { captureLog, type CapturedLog } from './support.ts';

let running: RunningServer | null = null;
const extraServers: Server[] = [];

afterEach(async () => {
  await running?.close(500);
  running = null;
  for (const s of extraServers.splice(0)) await new Promise((r) => s.close(r));
});

interface Started {
  url: string;
  log: CapturedLog;
  metrics: Metrics;
}

async function start(opts: { fronts?: Front[]; ready?: () => Promise<void> } = {}): Promise<Started> {
  const log = captureLog();
  const metrics = createMetrics({ defaultMetrics: false });
  const server = createHttpServer({ logger: log.logger, metrics, fronts: opts.fronts ?? [], ready: opts.ready ?? (async () => undefined) });
  running = await listen(server, 0, '127.0.0.1');
  return { url: running.url, log, metrics };
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

const slackDisabled: Front = { name: 'slack', path: '/slack/events', enabled: false, reason: 'set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET' };

describe('createHttpServer', () => {
  it('listens on 127.0.0.1 on the port the OS picked and reports its url', async () => {
    const { url } = await start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(running!.port).toBeGreaterThan(0);
    expect(url.endsWith(`:${running!.port}`)).toBe(true);
  });

  it('/healthz answers 200 JSON', async () => {
    const { url } = await start();
    const res = await get(`${url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({ ok: true });
  });

  it('/readyz is 200 while the store answers and 503 (logged, no detail leaked) when it does not', async () => {
    let up = true;
    const { url, log } = await start({
      ready: async () => {
        if (!up) throw new Error('connect ECONNREFUSED 127.0.0.1:5432 postgres://bot:hunter2@db/stagebot');
      },
    });
    expect((await get(`${url}/readyz`)).status).toBe(200);
    up = false;
    const down = await get(`${url}/readyz`);
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toEqual({ ok: false, error: 'store unreachable' });
    expect(down.body).not.toContain('ECONNREFUSED');
    const warning = log.lines().find((l) => l.msg === 'readiness check failed');
    expect(warning?.level).toBe('warn');
    up = true;
    expect((await get(`${url}/readyz`)).status).toBe(200);
  });

  it('a disabled front answers 503 with the reason naming what to set', async () => {
    const { url } = await start({ fronts: [slackDisabled] });
    const res = await get(`${url}/slack/events`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ ok: false, error: 'slack front is disabled: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET' });
  });

  it('an enabled front gets its requests, whatever the query string', async () => {
    const seen: string[] = [];
    const github: Front = {
      name: 'github',
      path: '/api/github/webhooks',
      enabled: true,
      handler: (req, res) => {
        seen.push(`${req.method} ${req.url}`);
        sendJson(res, 202, { accepted: true });
      },
    };
    const { url } = await start({ fronts: [github, slackDisabled] });
    const res = await get(`${url}/api/github/webhooks?x=1`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(202);
    expect(seen).toEqual(['POST /api/github/webhooks?x=1']);
  });

  it('an unknown path is a 404 that names it', async () => {
    const { url } = await start();
    const res = await get(`${url}/nope?a=b`);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toEqual({ ok: false, error: 'no route /nope' });
  });

  it('a handler that throws gives 500 "internal error" without its message, and is logged', async () => {
    const boom: Front = {
      name: 'boom',
      path: '/boom',
      enabled: true,
      handler: async () => {
        throw new Error('secret internals at /srv/x');
      },
    };
    const { url, log } = await start({ fronts: [boom] });
    const res = await get(`${url}/boom`);
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ ok: false, error: 'internal error' });
    const line = log.lines().find((l) => l.msg === 'request failed');
    expect(line).toMatchObject({ level: 'error', route: 'boom' });
    // The server keeps serving.
    expect((await get(`${url}/healthz`)).status).toBe(200);
  });

  it('/metrics is Prometheus text counting requests by route and status', async () => {
    const { url } = await start({ fronts: [slackDisabled] });
    await get(`${url}/healthz`);
    await get(`${url}/healthz`);
    await get(`${url}/slack/events`);
    await get(`${url}/missing`);
    const res = await get(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain/);
    expect(res.body).toContain('# TYPE stagebot_http_requests_total counter');
    expect(res.body).toMatch(/^stagebot_http_requests_total\{route="healthz",status="200"\} 2$/m);
    expect(res.body).toMatch(/^stagebot_http_requests_total\{route="slack",status="503"\} 1$/m);
    // Unknown paths share one label value: a scanner cannot blow up the metric's cardinality.
    expect(res.body).toMatch(/^stagebot_http_requests_total\{route="unknown",status="404"\} 1$/m);
    expect(res.body).not.toContain('missing');
    expect(res.body).toMatch(/^stagebot_http_request_seconds_count\{route="healthz"\} 2$/m);
  });

  it('two servers in one process keep separate metrics', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.httpRequests.inc({ route: 'healthz', status: '200' });
    expect(await a.registry.metrics()).toMatch(/status="200"\} 1/);
    expect(await b.registry.metrics()).not.toMatch(/status="200"\}/);
  });
});

describe('listen / close', () => {
  it('close() lets an in-flight request finish, then stops accepting connections', async () => {
    const gate = Promise.withResolvers<void>();
    const entered = Promise.withResolvers<void>();
    const slow: Front = {
      name: 'slow',
      path: '/slow',
      enabled: true,
      handler: async (_req, res) => {
        entered.resolve();
        await gate.promise;
        sendJson(res, 200, { done: true });
      },
    };
    const { url } = await start({ fronts: [slow] });
    // Both far longer than the test: only a close that does not wait for idle keep-alive connections ends.
    running!.server.keepAliveTimeout = 3_600_000;
    const inFlight = get(`${url}/slow`);
    await entered.promise;
    const closed = running!.close(3_600_000);
    running = null;
    gate.resolve();
    const res = await inFlight;
    expect(res.status).toBe(200);
    await closed;
    await expect(fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });

  it('close(timeout) gives up on a request that never ends', async () => {
    let stuckEntered = () => undefined as void;
    const stuck: Front = {
      name: 'stuck',
      path: '/stuck',
      enabled: true,
      handler: () => {
        stuckEntered();
        return new Promise<void>(() => undefined);
      },
    };
    const { url } = await start({ fronts: [stuck] });
    const entered = Promise.withResolvers<void>();
    stuckEntered = entered.resolve;
    const hanging = fetch(`${url}/stuck`, { signal: AbortSignal.timeout(5_000) }).then(
      () => 'answered',
      () => 'dropped',
    );
    await entered.promise;
    await running!.close(200);
    running = null;
    expect(await hanging).toBe('dropped');
  });

  it('rejects when the port is taken', async () => {
    const blocker = createServer();
    extraServers.push(blocker as unknown as Server);
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const server = createHttpServer({ logger: captureLog().logger, metrics: createMetrics({ defaultMetrics: false }), fronts: [], ready: async () => undefined });
    await expect(listen(server, port, '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
