// The App Home tab, published when someone opens it (Events API `app_home_opened`).
import type { App } from '@slack/bolt';
import type { FrontDeps } from './front-deps.ts';
import { renderHome, type HomeData, type OrphanSummary } from './render-home.ts';

const DAY_MS = 86_400_000;

async function lastOrphanCount(deps: FrontDeps): Promise<OrphanSummary | null> {
  // The sweeper's summary of its last finished sweep (src/audit/sweep.ts sweepSummary).
  const sweep = (await deps.store.listSweeps(10)).find((s) => s.finishedAt !== null && s.summary !== null);
  if (!sweep?.summary || !sweep.finishedAt) return null;
  const count = sweep.summary.orphans;
  const daily = sweep.summary.dailyCostUsd;
  if (typeof count !== 'number') return null;
  return { count, dailyUsd: typeof daily === 'number' ? daily : null, at: sweep.finishedAt };
}

export async function homeData(deps: FrontDeps, prefix: string): Promise<HomeData> {
  const { store, engine, config } = deps;
  const now = engine.now();
  const [locks, active, queue, recent, orphans] = await Promise.all([
    store.listLocks(),
    store.listRuns({ states: ['running', 'tearing_down', 'kept'] }),
    store.queuedRuns(),
    store.listRuns({ since: new Date(now.getTime() - DAY_MS), limit: 100 }),
    lastOrphanCount(deps),
  ]);
  const lockOf = new Map(locks.map((l) => [l.env, l]));
  return {
    environments: Object.keys(config.environments).map((env) => ({ env, lock: lockOf.get(env) ?? null, run: active.find((r) => r.env === env) ?? null })),
    queue,
    recent: [...recent].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()),
    orphans,
    now,
    prefix,
  };
}

export function registerHome(app: App, deps: FrontDeps): void {
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    try {
      await deps.slack.publishHome(event.user, renderHome(await homeData(deps, '/stage')));
    } catch (err) {
      deps.logger.warn({ err, user: event.user }, 'could not publish the App Home tab');
    }
  });
}
