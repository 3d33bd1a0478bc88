// What the webhook handlers share.
import type { Logger } from '../../observability/logger.ts';
import type { BackgroundTasks } from './background.ts';
import type { GithubCommands, GithubMemory } from './ports.ts';
import type { RunProgress } from './progress.ts';

export interface GithubAppDeps {
  commands: GithubCommands;
  memory: GithubMemory;
  logger: Logger;
  progress: RunProgress;
  background: BackgroundTasks;
}

/** Once per delivery across replicas and redeliveries (`X-GitHub-Delivery`). */
export async function claimDelivery(deps: GithubAppDeps, deliveryId: string): Promise<boolean> {
  const claimed = await deps.memory.claimDelivery(`github:${deliveryId}`, deps.commands.now());
  if (!claimed) deps.logger.info({ delivery: deliveryId }, 'GitHub delivery already handled; ignored');
  return claimed;
}
