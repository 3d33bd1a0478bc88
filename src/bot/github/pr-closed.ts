// A closed (or merged) pull request needs no environment any more: its queued runs are dropped and
// its running or kept runs are cancelled, which tears their environments down.
import type { Context } from 'probot';
import { sanitizeRequester } from '../../domain/requester.ts';
import { isUserError } from '../../errors.ts';
import { claimDelivery, type GithubAppDeps } from './app-deps.ts';
import { activePrRuns } from './pr-runs.ts';
import { allowedRepository } from './repo-rules.ts';

type ClosedPayload = Context<'pull_request.closed'>['payload'];

export interface ClosedJob {
  owner: string;
  repo: string;
  pr: number;
  by: string;
  merged: boolean;
}

export async function acceptClosed(payload: ClosedPayload, deliveryId: string, deps: GithubAppDeps): Promise<ClosedJob | null> {
  if (!allowedRepository(deps.commands.config.github, payload.repository.full_name)) return null;
  if (!(await claimDelivery(deps, deliveryId))) return null;
  return { owner: payload.repository.owner.login, repo: payload.repository.name, pr: payload.number, by: payload.sender.login, merged: payload.pull_request.merged === true };
}

export async function cancelClosedPrRuns(job: ClosedJob, deps: GithubAppDeps): Promise<void> {
  const { commands, logger } = deps;
  const runs = await activePrRuns(deps, job.owner, job.repo, job.pr);
  // Closing the PR is the PR author's or a maintainer's decision; it covers the PR's runs.
  const actor = { requester: sanitizeRequester('github', job.by), source: 'github' as const, admin: true };
  for (const run of runs) {
    try {
      await commands.execute({ verb: 'cancel', run: run.id }, actor, { reason: job.merged ? 'the pull request was merged' : 'the pull request was closed' });
      logger.info({ runId: run.id, pr: job.pr, was: run.state }, 'pull request closed: run cancelled');
    } catch (err) {
      if (!isUserError(err)) throw err;
    }
  }
}
