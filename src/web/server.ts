// stagebot's one HTTP server: health, readiness, metrics, the chat fronts' webhooks, and the pages
// (the web dashboard) at every other path.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { sendJson, sendText, type Front, type Handler, type PrefixRoute } from './routes.ts';

export interface ServerDeps {
  logger: Logger;
  metrics: Metrics;
  /** Resolves when the store answers; readiness fails while it throws. */
  ready: () => Promise<void>;
  fronts: Front[];
  /** Answers every path that no route above has (the web dashboard, at `/`). */
  pages?: { name: string; handler: Handler };
  /** Routes for whole path prefixes (artifacts, the trace viewer), tried when no exact route matches. */
  prefixes?: PrefixRoute[];
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  /** The address bound, as the OS reports it (`127.0.0.1`, `0.0.0.0`, `::`). */
  address: string;
  /** Stops accepting connections and waits for in-flight requests (bounded). */
  close(timeoutMs?: number): Promise<void>;
}

export function createHttpServer(deps: ServerDeps): Server {
  const { logger, metrics } = deps;
  const routes = new Map<string, { name: string; handler: Handler }>();
  routes.set('/healthz', { name: 'healthz', handler: (_req, res) => sendJson(res, 200, { ok: true }) });
  routes.set('/readyz', {
    name: 'readyz',
    handler: async (_req, res) => {
      try {
        await deps.ready();
        sendJson(res, 200, { ok: true });
      } catch (err) {
        logger.warn({ err }, 'readiness check failed');
        sendJson(res, 503, { ok: false, error: 'store unreachable' });
      }
    },
  });
  routes.set('/metrics', {
    name: 'metrics',
    handler: async (_req, res) => sendText(res, 200, await metrics.registry.metrics(), metrics.registry.contentType),
  });
  for (const front of deps.fronts) {
    routes.set(front.path, {
      name: front.name,
      handler: front.enabled
        ? front.handler
        : (_req, res) => sendJson(res, 503, { ok: false, error: `${front.name} front is disabled: ${front.reason}` }),
    });
  }

  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes.get(path) ?? deps.prefixes?.find((p) => path.startsWith(p.prefix)) ?? deps.pages;
    const name = route?.name ?? 'unknown';
    const endTimer = metrics.httpDuration.startTimer({ route: name });
    res.on('finish', () => {
      endTimer();
      metrics.httpRequests.inc({ route: name, status: String(res.statusCode) });
      // While closing, a keep-alive connection whose last response just went out would otherwise
      // hold the shutdown until its keep-alive timeout.
      if (!server.listening) setImmediate(() => server.closeIdleConnections());
    });
    if (!route) return sendJson(res, 404, { ok: false, error: `no route ${path}` });
    try {
      await route.handler(req, res);
    } catch (err) {
      logger.error({ err, route: name }, 'request failed');
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal error' });
      else res.end();
    }
  });
  return server;
}

export async function listen(server: Server, port: number, host?: string): Promise<RunningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    port: addr.port,
    address: addr.address,
    url: `http://${shownHost === '[::]' || shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${addr.port}`,
    close: (timeoutMs = 10_000) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, timeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
