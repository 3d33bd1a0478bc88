// The audit as the command runner and the server use it. Replaced by src/audit's sweeper (issue #6).
import type { AwsClients } from '../aws/clients.ts';
import type { Config } from '../config/index.ts';
import type { Clock } from '../domain/clock.ts';
import { UserError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Audit } from '../pipeline/command-runner.ts';
import type { Store } from '../store/index.ts';
import type { Services } from './open-services.ts';

export function createAudit(_deps: { config: Config; store: Store; aws: AwsClients; logger: Logger; clock?: Clock }): Audit {
  const unavailable = async (): Promise<never> => {
    throw new UserError('the sweeper is not part of this build yet');
  };
  return { sweep: unavailable, cost: unavailable };
}

export function scheduleSweeps(_services: Services, _logger: Logger): () => void {
  return () => undefined;
}
