// The Probot app: which webhooks stagebot listens to, and the split between what the response
// waits for (filtering and the delivery claim) and what runs after it.
import type { ApplicationFunction } from 'probot';
import type { GithubAppDeps } from './app-deps.ts';
import { acceptComment, runComment } from './comment-command.ts';
import { acceptClosed, cancelClosedPrRuns } from './pr-closed.ts';

export function githubApp(deps: GithubAppDeps): ApplicationFunction {
  return (app) => {
    app.on('issue_comment.created', async (context) => {
      const job = await acceptComment(context.payload, context.id, deps);
      if (job) deps.background.run(() => runComment(job, context.octokit, deps));
    });
    app.on('pull_request.closed', async (context) => {
      const job = await acceptClosed(context.payload, context.id, deps);
      if (job) deps.background.run(() => cancelClosedPrRuns(job, deps));
    });
  };
}
