// Who may run `/e2e` where: the repository allowlist, the commenter's permission, forks, bots.
// Pure decisions over what the webhook and the API said; the calls themselves are in github-api.ts.
import type { GithubConfig, GithubRepositoryConfig } from '../../config/index.ts';

export interface AllowedRepository {
  /** `owner/name` as written in the config. */
  name: string;
  settings: GithubRepositoryConfig;
}

/** The repository's settings, or null when it is not on the allowlist (GitHub names are case-insensitive). */
export function allowedRepository(github: GithubConfig | undefined, fullName: string): AllowedRepository | null {
  if (!github) return null;
  const wanted = fullName.toLowerCase();
  for (const [name, settings] of Object.entries(github.repositories)) {
    if (name.toLowerCase() === wanted) return { name, settings };
  }
  return null;
}

/** What `GET /repos/{owner}/{repo}/collaborators/{username}/permission` answers. */
export interface PermissionAnswer {
  permission?: string | null | undefined;
  role_name?: string | null | undefined;
}

const WRITERS = new Set(['admin', 'maintain', 'write']);

/**
 * Write, maintain or admin. `permission` folds maintain into write and triage into read;
 * `role_name` carries the exact role (and custom roles, whose base the `permission` gives).
 */
export function canWrite(answer: PermissionAnswer | null): boolean {
  if (!answer) return false;
  return WRITERS.has(answer.permission ?? '') || WRITERS.has(answer.role_name ?? '');
}

/** The parts of a pull request that decide whether it is a fork. */
export interface PullRequestRepos {
  head: { repo: { full_name: string } | null };
  base: { repo: { full_name: string } };
}

/** A pull request whose head lives in another repository (or in a fork since deleted). */
export function isFork(pr: PullRequestRepos): boolean {
  const head = pr.head.repo?.full_name;
  return head === undefined || head.toLowerCase() !== pr.base.repo.full_name.toLowerCase();
}

/** GitHub Apps (stagebot included) comment as `type: Bot` users named `something[bot]`. */
export function isBot(user: { login: string; type?: string | null | undefined } | null | undefined): boolean {
  if (!user) return true;
  return user.type === 'Bot' || user.login.endsWith('[bot]');
}
