// What the Slack handlers share: the core they call, the Slack they answer, the rules they apply.
import type { CommandContext } from '../../commands/index.ts';
import type { Config } from '../../config/index.ts';
import type { Logger } from '../../observability/logger.ts';
import type { CommandRunner } from '../../pipeline/command-runner.ts';
import type { Engine } from '../../pipeline/engine.ts';
import type { Store } from '../../store/index.ts';
import type { AfterAck } from './after-ack.ts';
import type { Permissions } from './permissions.ts';
import type { SlackApi } from './slack-api.ts';
import type { RunThreads } from './threads.ts';

export interface FrontDeps {
  config: Config;
  store: Store;
  engine: Engine;
  runner: CommandRunner;
  slack: SlackApi;
  permissions: Permissions;
  threads: RunThreads;
  /** Where commands and clicks do their work once acknowledged. */
  afterAck: AfterAck;
  logger: Logger;
}

export function commandContext(config: Config): CommandContext {
  return { environments: Object.keys(config.environments), browsers: Object.keys(config.browsers), keepMaxMs: config.runs.keepMax };
}
