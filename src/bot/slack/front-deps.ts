// What the Slack handlers share: the commands they call, the Slack they answer, the rules they apply.
import type { CommandContext } from '../../commands/index.ts';
import type { Config } from '../../config/index.ts';
import type { Logger } from '../../observability/logger.ts';
import type { AfterAck } from './after-ack.ts';
import type { SlackCommands, SlackMemory } from './ports.ts';
import type { Permissions } from './permissions.ts';
import type { SlackApi } from './slack-api.ts';
import type { RunThreads } from './threads.ts';

export interface FrontDeps {
  config: Config;
  commands: SlackCommands;
  memory: SlackMemory;
  slack: SlackApi;
  permissions: Permissions;
  threads: RunThreads;
  /** Where commands and clicks do their work once acknowledged. */
  afterAck: AfterAck;
  logger: Logger;
}

export function commandContext(config: Config): CommandContext {
  return { environments: Object.keys(config.environments), browsers: Object.keys(config.browsers), keepMaxMs: config.runs.keepMax, images: Object.keys(config.images) };
}
