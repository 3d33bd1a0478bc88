// `stagebot serve` / `npm start`: the HTTP server, the engine, the sweeper's schedule, and a clean
// stop on SIGTERM (no new work; runs in flight get a grace period, then are left to be adopted).
import { loadConfig, exampleWarning } from '../config/index.ts';
import { createLogger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { createHttpServer, listen } from '../web/server.ts';
import { openServices } from './open-services.ts';
import { mountFronts } from './fronts.ts';
import { scheduleSweeps } from './audit.ts';
import { maskUrlCredentials } from '../observability/logger.ts';

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
  const logger = createLogger();
  const loaded = await loadConfig({ path: opts.configPath, env, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
  if (loaded.usingExample) logger.warn(exampleWarning());
  const metrics = createMetrics();
  const services = await openServices({ config: loaded.config, logger, metrics, env, background: true, helpPrefix: '/stage' });
  logger.info({ config: loaded.path, store: services.store.backend, where: env.DATABASE_URL ? maskUrlCredentials(env.DATABASE_URL) : loaded.config.store.sqlitePath }, 'store open');
  await services.engine.start();
  const fronts = await mountFronts(services, logger, env);
  for (const f of fronts) {
    if (f.enabled) logger.info({ front: f.name, path: f.path }, `${f.name} front enabled`);
    else logger.info({ front: f.name }, `${f.name} front disabled: ${f.reason}`);
  }
  const stopSweeps = scheduleSweeps(services, logger);
  const server = createHttpServer({ logger, metrics, fronts, ready: () => services.store.ping() });
  const port = Number(env.PORT ?? 3000);
  const running = await listen(server, port, env.HOST);
  logger.info({ url: running.url }, 'stagebot listening');
  opts.onListening?.(running.url);

  const signal = await (opts.until ??
    new Promise<string>((resolve) => {
      process.once('SIGTERM', () => resolve('SIGTERM'));
      process.once('SIGINT', () => resolve('SIGINT'));
    }));
  logger.info({ signal }, 'shutting down: no new work; runs in flight get a grace period');
  stopSweeps();
  await running.close(5_000);
  await services.close();
  logger.info('stopped');
  return 0;
}
