// The runs of one pull request that have not finished: for `/e2e cancel` and for a closed PR.
import { isFinished, type Run } from '../../domain/run.ts';
import type { Store } from '../../store/index.ts';
import { getPrRunIds, getRunLink } from './run-links.ts';

const ACTIVE = ['queued', 'running', 'tearing_down', 'kept'] as const;

export async function activePrRuns(store: Store, owner: string, repo: string, pr: number): Promise<Run[]> {
  const found = new Map<string, Run>();
  for (const id of await getPrRunIds(store, owner, repo, pr)) {
    const run = await store.getRun(id);
    if (run && !isFinished(run.state)) found.set(id, run);
  }
  // The PR's list is written without a lock; the links of the active GitHub runs are the truth.
  for (const run of await store.listRuns({ states: ACTIVE })) {
    if (run.source !== 'github' || found.has(run.id)) continue;
    const link = await getRunLink(store, run.id);
    if (link && link.pr === pr && link.owner.toLowerCase() === owner.toLowerCase() && link.repo.toLowerCase() === repo.toLowerCase()) {
      found.set(run.id, run);
    }
  }
  return [...found.values()].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}
