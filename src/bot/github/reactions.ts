// The reaction on the command comment says where the run is: 👀 seen, 🚀 started, then +1 / -1
// (GitHub has no ✅ / ❌ reactions). A reaction is decoration: its failure never fails anything.
import type { RunState } from '../../domain/run.ts';
import type { Logger } from '../../observability/logger.ts';
import { addReaction, deleteReaction, type GithubClient, type ReactionContent, type RepoRef } from './github-api.ts';

export interface ReactionState {
  content: ReactionContent;
  id: number;
}

/**
 * The reaction a run in `state` should have (`testsPassed` decides for a kept run); null for a
 * cancelled run: it neither passed nor failed, and GitHub has no reaction that says "stopped".
 */
export function reactionFor(state: RunState, testsPassed: boolean): ReactionContent | null {
  switch (state) {
    case 'queued':
      return 'eyes';
    case 'running':
    case 'tearing_down':
      return 'rocket';
    case 'kept':
      return testsPassed ? '+1' : '-1';
    case 'succeeded':
      return '+1';
    case 'failed':
      return '-1';
    case 'cancelled':
      return null;
  }
}

/**
 * Puts `content` on the comment in place of `current` (added first, so the comment is never left
 * without one; null: only takes `current` away). Returns what is there afterwards; on failure, what
 * was there before.
 */
export async function replaceReaction(
  gh: GithubClient,
  repo: RepoRef,
  commentId: number,
  current: ReactionState | null,
  content: ReactionContent | null,
  logger: Logger,
): Promise<ReactionState | null> {
  if (current?.content === content) return current;
  if (content === null) {
    if (!current) return null;
    try {
      await deleteReaction(gh, repo, commentId, current.id);
      return null;
    } catch (err) {
      logger.warn({ err, commentId }, 'could not remove a reaction');
      return current;
    }
  }
  let next: ReactionState;
  try {
    next = { content, id: await addReaction(gh, repo, commentId, content) };
  } catch (err) {
    logger.warn({ err, commentId, content }, 'could not add a reaction');
    return current;
  }
  if (current) {
    await deleteReaction(gh, repo, commentId, current.id).catch((err) => logger.warn({ err, commentId }, 'could not remove a reaction'));
  }
  return next;
}
