// What the Slack front needs from the rest of stagebot, declared here and wired by src/app: the
// commands (verbs, RunView, the board, the event feed), and a memory for what the front keeps of its
// own between requests and across replicas — where each run's thread is, the last daily report, and
// which deliveries (commands, clicks) it has handled (src/app hands it the store).
import type { CommandExecutor } from '../../commands/executor.ts';

/** What the Slack front uses of src/commands. */
export type SlackCommands = Pick<CommandExecutor, 'config' | 'now' | 'execute' | 'view' | 'board' | 'getRun' | 'keep' | 'onEvent' | 'follow' | 'artifactFile'>;

export interface SlackMemory {
  kvGet(key: string): Promise<{ value: unknown } | null>;
  kvSet(key: string, value: unknown, at?: Date): Promise<void>;
  /** True the first time `key` is claimed (on any replica), false after. */
  claimDelivery(key: string, at: Date): Promise<boolean>;
}
