// What the GitHub front needs from the rest of stagebot, declared here and wired by src/app: the
// commands (verbs, RunView, the event feed), and a memory for what the front keeps of its own across
// replicas — each run's link to its pull request (check run, comment, reaction), each PR's runs,
// and which webhook deliveries it has handled (src/app hands it the store).
import type { CommandExecutor } from '../../commands/executor.ts';

/** What the GitHub front uses of src/commands. */
export type GithubCommands = Pick<CommandExecutor, 'config' | 'now' | 'execute' | 'view' | 'getRun' | 'activeRuns' | 'onEvent'>;

export interface GithubMemory {
  kvGet(key: string): Promise<{ value: unknown } | null>;
  kvSet(key: string, value: unknown, at?: Date): Promise<void>;
  /** True the first time `key` is claimed (on any replica), false after. */
  claimDelivery(key: string, at: Date): Promise<boolean>;
}
