// `/e2e images`, `/e2e bake <image>` and `/e2e promote <image> … --to=…` in a pull-request comment:
// the same verbs as the CLI and Slack (one grammar, one executor), answered on the PR. A bake builds the
// pull request's head commit unless --ref names another, and gets a check run and a living comment like
// a launch. Promoting is for admins: an admin of the repository the comment is on, or a `github:<login>`
// in dashboard.admins; the executor refuses everyone else in one line.
import type { Actor } from '../../commands/executor.ts';
import type { BakeCommand, ImagesCommand, PromoteCommand } from '../../commands/index.ts';
import type { Config } from '../../config/index.ts';
import type { Run } from '../../domain/run.ts';
import { PermissionError } from '../../errors.ts';
import type { GithubAppDeps } from './app-deps.ts';
import type { ReactionContent } from './github-api.ts';
import { mention, refusalReply, dryRunReply } from './render-replies.ts';

type Answer = (body: string | null, content: ReactionContent | null) => Promise<void>;

/** What GitHub said about the commenter's permission on the repository (getCollaboratorPermissionLevel). */
export interface PermissionSeen {
  permission?: string | null;
  role_name?: string | null;
}

/** Admin: the repository's admin role, or listed in dashboard.admins as `github:<login>` (GitHub logins ignore case). */
export function isGithubAdmin(config: Config, login: string, seen: PermissionSeen | null): boolean {
  if (seen?.role_name === 'admin' || seen?.permission === 'admin') return true;
  const wanted = `github:${login}`.toLowerCase();
  return config.dashboard.admins.some((a) => a.toLowerCase() === wanted);
}

function textBlock(text: string): string {
  return ['```text', text.replaceAll('```', "'''"), '```'].join('\n');
}

export async function imagesVerb(cmd: ImagesCommand, actor: Actor, deps: GithubAppDeps, answer: Answer): Promise<void> {
  const result = await deps.commands.execute(cmd, actor);
  if (result.kind !== 'images') return;
  return answer(textBlock(result.report.text), null);
}

/** `/e2e promote`: admins only; the promotion is a run, followed on the PR by `announce` like a bake. */
export async function promoteVerb(cmd: PromoteCommand, login: string, actor: Actor, deps: GithubAppDeps, answer: Answer, announce: (run: Run) => Promise<void>): Promise<void> {
  let result;
  try {
    result = await deps.commands.execute(cmd, actor);
  } catch (err) {
    if (err instanceof PermissionError) return answer(refusalReply(login, `${err.message} (a repository admin, or github:${login} in dashboard.admins)`), 'confused');
    throw err;
  }
  if (result.kind !== 'launched') return;
  await announce(result.run);
  deps.logger.info({ runId: result.run.id, image: cmd.image, to: cmd.to }, 'promotion started from a pull request');
}

/** `/e2e bake`: at the PR's head unless --ref says otherwise; `announce` gives the run its check run and comment. */
export async function bakeVerb(cmd: BakeCommand, headSha: string, actor: Actor, deps: GithubAppDeps, answer: Answer, announce: (run: Run) => Promise<void>): Promise<void> {
  const result = await deps.commands.execute({ ...cmd, ref: cmd.ref ?? headSha }, actor);
  if (result.kind === 'dry-run') return answer(dryRunReply(result.env, result.report), result.report.ok ? '+1' : '-1');
  if (result.kind !== 'launched') return;
  await announce(result.run);
  deps.logger.info({ runId: result.run.id, image: cmd.image }, 'bake started from a pull request');
}
