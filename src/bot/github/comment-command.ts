// `/e2e …` in a pull-request comment. The webhook's answer waits only for the cheap part (is this a
// command, on an allowed repository, delivered for the first time); the API calls and the launch
// run after it has been answered.
import type { Context } from 'probot';
import type { Command, CommandContext, LaunchCommand, RetestCommand } from '../../commands/index.ts';
import { helpText, parsePrComment } from '../../commands/index.ts';
import type { Config } from '../../config/index.ts';
import { sanitizeRequester } from '../../domain/requester.ts';
import type { Run } from '../../domain/run.ts';
import { ActiveRunExists, isUserError } from '../../errors.ts';
import type { Actor } from '../../commands/executor.ts';
import { claimDelivery, type GithubAppDeps } from './app-deps.ts';
import { commenterCanWrite, createCheckRun, createComment, getPull, type GithubClient, type ReactionContent, type RepoRef } from './github-api.ts';
import { activePrRuns } from './pr-runs.ts';
import { replaceReaction, type ReactionState } from './reactions.ts';
import { renderCheckRun } from './render-check-run.ts';
import { renderComment } from './render-comment.ts';
import { alreadyRunningReply, badInputReply, dryRunReply, errorReply, helpReply, mention, refusalReply } from './render-replies.ts';
import { allowedRepository, isBot, type AllowedRepository } from './repo-rules.ts';
import { addPrRunId, getRunLink, saveRunLink, type RunLink } from './run-links.ts';
import { loadRunView } from './run-view.ts';
import { bakeVerb, imagesVerb, isGithubAdmin, promoteVerb } from './image-commands.ts';

type CommentPayload = Context<'issue_comment.created'>['payload'];

export interface CommentJob {
  repo: RepoRef;
  allowed: AllowedRepository;
  ctx: CommandContext;
  pr: number;
  login: string;
  commentId: number;
  installationId: number;
  parsed: { command: Command } | { error: string };
}

/** What the parser may accept in this repository: its pool, every configured browser and image, runs.keepMax. */
export function repoCommandContext(config: Config, allowed: AllowedRepository): CommandContext {
  return { environments: allowed.settings.pool, browsers: Object.keys(config.browsers), keepMaxMs: config.runs.keepMax, images: Object.keys(config.images) };
}

/** The command in the comment, or null when stagebot has nothing to do with it. */
export async function acceptComment(payload: CommentPayload, deliveryId: string, deps: GithubAppDeps): Promise<CommentJob | null> {
  if (!payload.issue.pull_request) return null;
  if (isBot(payload.comment.user) || isBot(payload.sender)) return null;
  const allowed = allowedRepository(deps.commands.config.github, payload.repository.full_name);
  if (!allowed) {
    if (/^ {0,3}\/e2e(?:\s|$)/.test(payload.comment.body)) {
      deps.logger.info({ repository: payload.repository.full_name }, '/e2e on a repository outside github.repositories; ignored');
    }
    return null;
  }
  const ctx = repoCommandContext(deps.commands.config, allowed);
  let parsed: CommentJob['parsed'];
  try {
    const command = parsePrComment(payload.comment.body, ctx);
    if (!command) return null;
    parsed = { command };
  } catch (err) {
    if (!isUserError(err)) throw err;
    parsed = { error: err.message };
  }
  const installationId = payload.installation?.id;
  if (installationId === undefined) {
    deps.logger.warn({ delivery: deliveryId }, 'a /e2e comment without an installation id (not delivered to a GitHub App?); ignored');
    return null;
  }
  if (!(await claimDelivery(deps, deliveryId))) return null;
  return {
    repo: { owner: payload.repository.owner.login, repo: payload.repository.name },
    allowed,
    ctx,
    pr: payload.issue.number,
    login: payload.comment.user?.login ?? payload.sender.login,
    commentId: payload.comment.id,
    installationId,
    parsed,
  };
}

/** Carries out an accepted command: permission, then the verb; every outcome is answered on the PR. */
export async function runComment(job: CommentJob, gh: GithubClient, deps: GithubAppDeps): Promise<void> {
  const { logger } = deps;
  let reaction: ReactionState | null = await replaceReaction(gh, job.repo, job.commentId, null, 'eyes', logger);
  /** Replies (when there is something to say) and sets the command's reaction (null: leave 👀). */
  const answer = async (body: string | null, content: ReactionContent | null) => {
    if (body !== null) await createComment(gh, job.repo, job.pr, body).catch((err) => logger.warn({ err, pr: job.pr }, 'could not reply on the pull request'));
    if (content !== null) reaction = await replaceReaction(gh, job.repo, job.commentId, reaction, content, logger);
  };

  const permission = await commenterCanWrite(gh, job.repo, job.login);
  if (!permission.ok) {
    const repoName = `${job.repo.owner}/${job.repo.repo}`;
    const reason = permission.answer
      ? `\`/e2e\` needs write, maintain or admin permission on ${repoName}; ${mention(job.login)} has ${permission.answer.role_name ?? permission.answer.permission ?? 'none'}`
      : `GitHub did not say what permission ${mention(job.login)} has on ${repoName}, and \`/e2e\` needs write, maintain or admin; try again later`;
    return answer(refusalReply(job.login, reason), 'confused');
  }
  if ('error' in job.parsed) return answer(badInputReply(job.login, job.parsed.error, helpText(null, { prComment: true })), 'confused');

  const cmd = job.parsed.command;
  try {
    switch (cmd.verb) {
      case 'help':
        // The reply is the answer; swapping reactions as well would only cost two more API calls.
        return await answer(helpReply(helpText(cmd.topic, { prComment: true, context: job.ctx })), null);
      case 'cancel':
        return await cancelPrRuns(job, deps, answer);
      case 'launch':
        return await launch(job, cmd, gh, deps, answer, () => reaction);
      case 'retest':
        return await retestPrRun(job, cmd, deps, answer);
      case 'images':
        return await imagesVerb(cmd, actorOf(job, false), deps, answer);
      case 'promote': {
        // A promotion is a run: it gets a check run and a living comment on this pull request's head.
        const pull = await getPull(gh, job.repo, job.pr);
        const actor = actorOf(job, isGithubAdmin(deps.commands.config, job.login, permission.answer));
        return await promoteVerb(cmd, job.login, actor, deps, answer, (run) => announceRun(job, run, pull.headSha, gh, deps, reaction));
      }
      case 'bake': {
        const pull = await getPull(gh, job.repo, job.pr);
        if (pull.state !== 'open') return await answer(refusalReply(job.login, 'this pull request is closed; reopen it to run `/e2e bake`'), 'confused');
        // A fork's code is baked into an image as it would run on an environment: the same rule as a launch.
        if (pull.fork && !job.allowed.settings.allowForks) return await answer(refusalReply(job.login, `pull requests from forks may not run \`/e2e bake\` on ${job.allowed.name}`), 'confused');
        return await bakeVerb(cmd, pull.headSha, actorOf(job, false), deps, answer, (run) => announceRun(job, run, pull.headSha, gh, deps, reaction));
      }
      default:
        return await answer(errorReply(job.login, `\`${cmd.verb}\` is not available in pull-request comments; see \`/e2e help\``), 'confused');
    }
  } catch (err) {
    if (isUserError(err)) return answer(errorReply(job.login, err.message), 'confused');
    logger.error({ err, pr: job.pr, repository: `${job.repo.owner}/${job.repo.repo}` }, 'a /e2e command failed');
    return answer(errorReply(job.login, 'stagebot could not do this because of an internal error; its operators have the details in the log'), 'confused');
  }
}

type Answer = (body: string | null, content: ReactionContent | null) => Promise<void>;

/** The concurrency key of a pull request's `/e2e` launches: one active run per PR (GitHub compares names without case). */
export function prLaunchKey(job: Pick<CommentJob, 'repo' | 'pr'>): string {
  return `github:${job.repo.owner.toLowerCase()}/${job.repo.repo.toLowerCase()}#${job.pr}:launch`;
}

function actorOf(job: CommentJob, admin: boolean): Actor {
  return { requester: sanitizeRequester('github', job.login), source: 'github', admin };
}

async function cancelPrRuns(job: CommentJob, deps: GithubAppDeps, answer: Answer): Promise<void> {
  const runs = await activePrRuns(deps, job.repo.owner, job.repo.repo, job.pr);
  if (runs.length === 0) return answer(errorReply(job.login, 'this pull request has no run to cancel'), 'confused');
  // Write access to the repository (checked above) covers every run of its pull requests.
  const actor = actorOf(job, true);
  for (const run of runs) {
    try {
      await deps.commands.execute({ verb: 'cancel', run: run.id }, actor);
    } catch (err) {
      // Finished between the lookup and the cancel: nothing left to do for that one.
      if (!isUserError(err)) throw err;
    }
  }
  // The runs' own comments show the cancellation; the command only gets its reaction.
  return answer(null, '+1');
}

/** `/e2e retest [browser]`: the tests of this pull request's kept run again; its check run and comment show the results. */
async function retestPrRun(job: CommentJob, cmd: RetestCommand, deps: GithubAppDeps, answer: Answer): Promise<void> {
  const runs = await activePrRuns(deps, job.repo.owner, job.repo.repo, job.pr);
  const kept = runs.filter((r) => r.state === 'kept').at(-1);
  if (!kept) {
    const going = runs.at(-1);
    const why = going
      ? `this pull request's run \`${going.id}\` is ${going.state === 'tearing_down' ? 'tearing down' : going.state}; \`/e2e retest\` needs a kept environment (\`/e2e --keep\` launches one)`
      : 'this pull request has no kept environment to retest: it is gone; `/e2e --keep` launches one';
    return answer(refusalReply(job.login, why), 'confused');
  }
  // Write access to the repository (checked above) covers every run of its pull requests.
  await deps.commands.execute({ ...cmd, run: kept.id }, actorOf(job, true));
  const link = await getRunLink(deps.memory, kept.id);
  if (link) deps.progress.track(link);
  return answer(null, '+1');
}

async function launch(job: CommentJob, cmd: LaunchCommand, gh: GithubClient, deps: GithubAppDeps, answer: Answer, reaction: () => ReactionState | null): Promise<void> {
  const { commands, logger } = deps;
  const pull = await getPull(gh, job.repo, job.pr);
  const repoName = job.allowed.name;
  if (pull.state !== 'open') return answer(refusalReply(job.login, 'this pull request is closed; reopen it to run `/e2e`'), 'confused');
  if (pull.fork && !job.allowed.settings.allowForks) {
    return answer(
      refusalReply(job.login, `pull requests from forks may not run \`/e2e\` on ${repoName} (a maintainer can allow them with \`github.repositories.${repoName}.allowForks\` in stagebot's config)`),
      'confused',
    );
  }
  const request: LaunchCommand = { ...cmd, ref: cmd.ref ?? pull.headSha, browsers: cmd.browsers ?? job.allowed.settings.browsers };
  let result;
  try {
    // One active run per pull request: the store refuses a second (atomically, whichever replica
    // took which delivery), and the repeat is answered with the run that is going.
    result = await commands.execute(request, actorOf(job, false), { pool: job.allowed.settings.pool, concurrencyKey: prLaunchKey(job) });
  } catch (err) {
    if (!(err instanceof ActiveRunExists)) throw err;
    logger.info({ runId: err.run.id, pr: job.pr, repository: repoName }, '/e2e while the pull request has a run going; pointed at it');
    return answer(alreadyRunningReply(job.login, err.run, await getRunLink(deps.memory, err.run.id)), 'confused');
  }
  if (result.kind === 'dry-run') return answer(dryRunReply(result.env, result.report), result.report.ok ? '+1' : '-1');
  if (result.kind !== 'launched') return;
  await announceRun(job, result.run, pull.headSha, gh, deps, reaction());
  logger.info({ runId: result.run.id, pr: job.pr, repository: repoName }, 'run launched from a pull request');
}

/** The run's check run and living comment, and the link that lets any replica update them. */
async function announceRun(job: CommentJob, run: Run, headSha: string, gh: GithubClient, deps: GithubAppDeps, reaction: ReactionState | null): Promise<void> {
  const { commands, memory, logger } = deps;
  const now = commands.now();
  const view = await loadRunView(commands, run, null);
  const check = await createCheckRun(gh, job.repo, headSha, run.id, renderCheckRun(view), now).catch((err) => {
    logger.warn({ err, runId: run.id }, 'could not create the check run');
    return null;
  });
  const comment = await createComment(gh, job.repo, job.pr, renderComment({ ...view, checkRunUrl: check?.url ?? null })).catch((err) => {
    logger.warn({ err, runId: run.id }, 'could not create the run comment');
    return null;
  });
  const link: RunLink = {
    runId: run.id,
    owner: job.repo.owner,
    repo: job.repo.repo,
    pr: job.pr,
    headSha,
    installationId: job.installationId,
    commandCommentId: job.commentId,
    checkRunId: check?.id ?? null,
    checkRunUrl: check?.url ?? null,
    commentId: comment?.id ?? null,
    commentUrl: comment?.url ?? null,
    reaction,
  };
  await saveRunLink(memory, link, now);
  await addPrRunId(memory, job.repo.owner, job.repo.repo, job.pr, run.id, now);
  deps.progress.track(link);
}
