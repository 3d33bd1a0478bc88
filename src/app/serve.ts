// `stagebot serve` / `npm start`: the HTTP server, the engine, the sweeper's schedule, and a clean
// stop on SIGTERM (no new work; runs in flight are handed over to be resumed by the next replica).
import { loadConfig, exampleWarning } from '../config/index.ts';
import { ConfigError, UserError } from '../errors.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { createHttpServer, listen, type RunningServer } from '../web/server.ts';
import { artifactRoutes } from '../web/artifact-routes.ts';
import { isRefusal } from '../web/access/index.ts';
import { openServices } from './open-services.ts';
import { mountFronts } from './fronts.ts';
import { mountDashboard } from './dashboard.ts';
import { scheduleSweeps } from '../audit/service.ts';
import { maskUrlCredentials } from '../observability/logger.ts';

/** Where the server listens when HOST is not set: this machine only, as the README says. */
export const DEFAULT_HOST = '127.0.0.1';

/**
 * The bounded parts of a stop, which together stay inside the 10 s that `docker stop` (and
 * Kubernetes) wait between SIGTERM and SIGKILL: in-flight HTTP requests, then the handover of runs in
 * flight (a step not safe to repeat gets `engineGraceMs` to finish), whose leases are then released
 * marked for handover so another replica resumes them at once. A teardown under way is not
 * bounded (it finishes here rather than being handed over half done): README says to give the
 * container longer with `--stop-timeout`.
 */
export const SHUTDOWN = { httpCloseMs: 2_000, engineGraceMs: 6_000 } as const;

export interface ServeOptions {
  configPath: string | undefined;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Resolves to stop the server (tests); default: SIGTERM / SIGINT. */
  until?: Promise<unknown>;
  onListening?: (url: string) => void;
}

export async function serve(opts: ServeOptions): Promise<number> {
  const { env } = opts;
  const port = parsePort(env.PORT);
  const host = env.HOST?.trim() || DEFAULT_HOST;
  // Listening for SIGTERM from the start: until a listener exists, SIGTERM kills the process on the
  // spot, and a supervisor may send it the moment the "listening" line appears.
  const stopRequested =
    opts.until ??
    new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    });
  const logger = createLogger();
  const loaded = await loadConfig({ path: opts.configPath, env, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  if (loaded.usingExample) logger.warn(exampleWarning());
  for (const warning of loaded.warnings) logger.warn({ config: loaded.path }, warning);
  const metrics = createMetrics();
  const services = await openServices({ config: loaded.config, logger, metrics, env, background: true, helpPrefix: '/stage' });
  logger.info({ config: loaded.path, store: services.store.backend, where: env.DATABASE_URL ? maskUrlCredentials(env.DATABASE_URL) : loaded.config.store.sqlitePath }, 'store open');
  const { fronts, stop: stopFronts, postSweepReport, links } = await mountFronts(services, logger, env);
  for (const f of fronts) {
    if (f.enabled) logger.info({ front: f.name, path: f.path }, `${f.name} front enabled`);
    else logger.info({ front: f.name }, `${f.name} front disabled: ${f.reason}`);
  }
  const dashboard = mountDashboard({ commands: services.commands, links, env, logger });
  // Signed links open for anyone who has them; unsigned ones for whoever the dashboard's access rules let read.
  const prefixes = artifactRoutes({ commands: services.commands, mayReadUnsigned: async (req, res) => !isRefusal(await dashboard.access.requireViewer(req, res)) });
  const server = createHttpServer({ logger, metrics, fronts, prefixes, pages: dashboard, ready: () => services.store.ping() });
  // Listen before the engine starts: a taken port must not adopt runs only to drop them again.
  let running: RunningServer;
  try {
    running = await listen(server, port, host);
  } catch (err) {
    await stopFronts();
    await services.close();
    throw listenError(err, port, host);
  }
  await services.engine.start();
  const stopSweeps = scheduleSweeps({ audit: services.audit, config: loaded.config, store: services.store, ownerId: services.engine.ownerId, logger, ...(postSweepReport ? { post: postSweepReport } : {}) });
  // The address really bound (0.0.0.0 with HOST=0.0.0.0), next to a URL that reaches it from here.
  logger.info({ url: running.url, address: running.address }, 'stagebot listening');
  opts.onListening?.(running.url);

  const signal = await stopRequested;
  logger.info({ signal, ...SHUTDOWN }, 'shutting down: no new work; runs in flight get a grace period');
  await stopSweeps();
  // Live-update streams never end by themselves: closed first, they do not hold the HTTP close.
  dashboard.stop();
  await running.close(SHUTDOWN.httpCloseMs);
  await stopFronts();
  await services.close(SHUTDOWN.engineGraceMs);
  logger.info('stopped');
  return 0;
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 3000;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65535) throw new ConfigError(`PORT must be a port number from 0 to 65535, got \`${value.slice(0, 40)}\``);
  return port;
}

function listenError(err: unknown, port: number, host: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${host} port ${port}`;
  if (code === 'EADDRINUSE') return new UserError(`${where} is already in use; stop the other server or set PORT to a free port`);
  if (code === 'EACCES') return new UserError(`not allowed to listen on ${where}; use a port above 1023 (PORT)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new UserError(`cannot listen on ${where}: no such local address; set HOST to one of this machine's addresses`);
  return err;
}
