// What the webhook handlers share.
import type { Services } from '../../app/open-services.ts';
import type { Logger } from '../../observability/logger.ts';
import type { BackgroundTasks } from './background.ts';
import type { RunProgress } from './progress.ts';

export interface GithubAppDeps {
  services: Services;
  logger: Logger;
  progress: RunProgress;
  background: BackgroundTasks;
}

/** Once per delivery across replicas and redeliveries (`X-GitHub-Delivery`). */
export async function claimDelivery(deps: GithubAppDeps, deliveryId: string): Promise<boolean> {
  const claimed = await deps.services.store.claimDelivery(`github:${deliveryId}`, deps.services.engine.now());
  if (!claimed) deps.logger.info({ delivery: deliveryId }, 'GitHub delivery already handled; ignored');
  return claimed;
}
