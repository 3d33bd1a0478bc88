// A chat front as stagebot serves it, for the fronts' end-to-end worlds: the services opened over an
// engine harness world, the front built on them and mounted on stagebot's real HTTP server on
// 127.0.0.1, and the engine started.
import { openServices, type Services } from '../../src/app/open-services.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import type { Front } from '../../src/web/routes.ts';
import { createHttpServer, listen, type RunningServer } from '../../src/web/server.ts';
import type { World } from '../pipeline/engine/harness.ts';
import { artifactRoutes } from '../../src/web/artifact-routes.ts';

export interface ServedFront<F> {
  services: Services;
  front: F;
  server: RunningServer;
  /** Stops the server, the front and the services; the world and any fake API are the caller's. */
  close(): Promise<void>;
}

export async function serveFront<F extends Front & { stop(): Promise<void> }>(
  world: World,
  opts: { logger: Logger; helpPrefix?: string; port?: number | undefined },
  makeFront: (services: Services) => Promise<F>,
): Promise<ServedFront<F>> {
  const { logger } = opts;
  const services = await openServices({
    config: world.config,
    logger,
    background: true,
    aws: world.aws,
    store: world.store,
    clock: world.clock,
    testRunner: world.testRunner,
    env: {},
    ...(opts.helpPrefix !== undefined ? { helpPrefix: opts.helpPrefix } : {}),
  });
  const front = await makeFront(services);
  const server = await listen(
    createHttpServer({
      logger,
      metrics: createMetrics({ defaultMetrics: false }),
      fronts: [front],
      // As `stagebot serve` mounts them: artifacts by signed link, and the trace viewer.
      prefixes: artifactRoutes({ commands: services.commands }),
      ready: () => services.store.ping(),
    }),
    opts.port ?? 0,
    '127.0.0.1',
  );
  await services.engine.start();
  return {
    services,
    front,
    server,
    async close() {
      await server.close(1_000);
      await front.stop();
      // Runs a test left going are dropped, not given the engine's 10 s grace.
      services.engine.abandon();
      await services.close();
    },
  };
}
