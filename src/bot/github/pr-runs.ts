// The runs of one pull request that have not finished: for `/e2e cancel` and for a closed PR.
import { isFinished, type Run } from '../../domain/run.ts';
import type { GithubAppDeps } from './app-deps.ts';
import { getPrRunIds, getRunLink } from './run-links.ts';

export async function activePrRuns(deps: Pick<GithubAppDeps, 'commands' | 'memory'>, owner: string, repo: string, pr: number): Promise<Run[]> {
  const { commands, memory } = deps;
  const found = new Map<string, Run>();
  for (const id of await getPrRunIds(memory, owner, repo, pr)) {
    const run = await commands.getRun(id);
    if (run && !isFinished(run.state)) found.set(id, run);
  }
  // The PR's list is written without a lock; the links of the active GitHub runs are the truth.
  for (const run of await commands.activeRuns()) {
    if (run.source !== 'github' || found.has(run.id)) continue;
    const link = await getRunLink(memory, run.id);
    if (link && link.pr === pr && link.owner.toLowerCase() === owner.toLowerCase() && link.repo.toLowerCase() === repo.toLowerCase()) {
      found.set(run.id, run);
    }
  }
  return [...found.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}
