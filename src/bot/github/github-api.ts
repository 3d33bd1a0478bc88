// The few GitHub REST calls the front makes, through Probot's installation-authenticated Octokit
// (retries, rate-limit pacing, GitHub Enterprise Server base URL all come from there).
import type { Probot } from 'probot';
import { canWrite, isFork, type PermissionAnswer } from './repo-rules.ts';

export type GithubClient = Awaited<ReturnType<Probot['auth']>>;

export interface RepoRef {
  owner: string;
  repo: string;
}

/** GitHub's reaction names; ✅ and ❌ are not among them, so the front shows +1 and -1. */
export type ReactionContent = '+1' | '-1' | 'laugh' | 'confused' | 'heart' | 'hooray' | 'rocket' | 'eyes';

export interface PullInfo {
  number: number;
  state: string;
  headSha: string;
  fork: boolean;
}

export interface CheckRunOutput {
  title: string;
  summary: string;
}

export type CheckRunStatus =
  | { status: 'queued' | 'in_progress' }
  | { status: 'completed'; conclusion: 'success' | 'failure' | 'cancelled' | 'neutral' };

export interface CheckRunFields {
  name: string;
  output: CheckRunOutput;
  state: CheckRunStatus;
  /** The check run's "Details" link: the run's page on the dashboard, when stagebot knows its public URL. */
  detailsUrl?: string | null;
}

/** Write, maintain or admin on the repository; an API error (or anything unexpected) means no. */
export async function commenterCanWrite(gh: GithubClient, repo: RepoRef, username: string): Promise<{ ok: boolean; answer: PermissionAnswer | null }> {
  try {
    const { data } = await gh.rest.repos.getCollaboratorPermissionLevel({ ...repo, username });
    return { ok: canWrite(data), answer: data };
  } catch {
    return { ok: false, answer: null };
  }
}

export async function getPull(gh: GithubClient, repo: RepoRef, number: number): Promise<PullInfo> {
  const { data } = await gh.rest.pulls.get({ ...repo, pull_number: number });
  return { number: data.number, state: data.state, headSha: data.head.sha, fork: isFork(data) };
}

export async function addReaction(gh: GithubClient, repo: RepoRef, commentId: number, content: ReactionContent): Promise<number> {
  const { data } = await gh.rest.reactions.createForIssueComment({ ...repo, comment_id: commentId, content });
  return data.id;
}

export async function deleteReaction(gh: GithubClient, repo: RepoRef, commentId: number, reactionId: number): Promise<void> {
  await gh.rest.reactions.deleteForIssueComment({ ...repo, comment_id: commentId, reaction_id: reactionId });
}

function statusFields(state: CheckRunStatus, now: Date) {
  return state.status === 'completed'
    ? { status: 'completed' as const, conclusion: state.conclusion, completed_at: now.toISOString() }
    : { status: state.status };
}

export async function createCheckRun(
  gh: GithubClient,
  repo: RepoRef,
  headSha: string,
  externalId: string,
  fields: CheckRunFields,
  now: Date,
): Promise<{ id: number; url: string | null }> {
  const { data } = await gh.rest.checks.create({
    ...repo,
    head_sha: headSha,
    name: fields.name,
    external_id: externalId,
    output: fields.output,
    ...(fields.detailsUrl ? { details_url: fields.detailsUrl } : {}),
    ...statusFields(fields.state, now),
  });
  return { id: data.id, url: data.html_url ?? null };
}

export async function updateCheckRun(gh: GithubClient, repo: RepoRef, checkRunId: number, fields: CheckRunFields, now: Date): Promise<void> {
  await gh.rest.checks.update({
    ...repo,
    check_run_id: checkRunId,
    name: fields.name,
    output: fields.output,
    ...(fields.detailsUrl ? { details_url: fields.detailsUrl } : {}),
    ...statusFields(fields.state, now),
  });
}

export async function createComment(gh: GithubClient, repo: RepoRef, issueNumber: number, body: string): Promise<{ id: number; url: string | null }> {
  const { data } = await gh.rest.issues.createComment({ ...repo, issue_number: issueNumber, body });
  return { id: data.id, url: data.html_url ?? null };
}

export async function updateComment(gh: GithubClient, repo: RepoRef, commentId: number, body: string): Promise<void> {
  await gh.rest.issues.updateComment({ ...repo, comment_id: commentId, body });
}
