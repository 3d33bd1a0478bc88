// What the dashboard needs from the rest of stagebot, declared here and wired by src/app: the commands
// (the verbs its buttons run, RunView, the board, run lists, the audit's reports, the event feed), and
// where chat fronts discussed a run (the Slack thread, the pull request and its check run), which the
// chat fronts know and src/app asks them for.
import type { CommandExecutor } from '../../commands/executor.ts';

/** What the dashboard uses of src/commands. */
export type DashboardCommands = Pick<
  CommandExecutor,
  'config' | 'now' | 'stepNames' | 'execute' | 'view' | 'board' | 'runs' | 'timeline' | 'orphans' | 'spend' | 'onEvent'
>;

export interface ChatLink {
  /** `Slack thread`, `Pull request`, `Check run`. */
  label: string;
  url: string;
}

export interface DashboardLinks {
  /** Where the run was asked for and reported, when a chat front knows (none: []). */
  forRun(runId: string): Promise<ChatLink[]>;
}
