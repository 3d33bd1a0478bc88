// What the check run and the living comment show about a run: the run's RunView (src/commands, read
// from the store, so any replica renders the same thing whatever events it did or did not hear) and
// the check run's URL, which only this front knows.
import type { RunView } from '../../commands/executor.ts';
import type { Run } from '../../domain/run.ts';
import type { GithubCommands } from './ports.ts';

/** The parts of a RunView the GitHub renderings read, and the check run's link. */
export type GithubRunView = Pick<RunView, 'run' | 'timings' | 'browsers' | 'cost' | 'deadManSwitch' | 'stepErrors' | 'cancelled' | 'queuePosition' | 'waitingFor' | 'pool' | 'now'> &
  Partial<Pick<RunView, 'artifacts' | 'links' | 'estimate' | 'queueEtaMs'>> & {
  checkRunUrl: string | null;
};

export async function loadRunView(commands: Pick<GithubCommands, 'view'>, run: Run, checkRunUrl: string | null): Promise<GithubRunView> {
  return { ...(await commands.view(run)), checkRunUrl };
}
