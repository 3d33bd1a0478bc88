// The App Home tab, published when someone opens it (Events API `app_home_opened`).
import type { App } from '@slack/bolt';
import type { FrontDeps } from './front-deps.ts';
import { renderHome, type HomeData } from './render-home.ts';

export async function homeData(deps: FrontDeps, prefix: string): Promise<HomeData> {
  const board = await deps.commands.board();
  return {
    environments: board.environments.map(({ env, lock, run }) => ({ env, lock, run })),
    queue: board.queue,
    queueNotes: board.queueNotes,
    pools: board.pools,
    recent: board.recent,
    orphans: board.orphans,
    sweepIncomplete: board.sweepIncomplete,
    now: board.now,
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
