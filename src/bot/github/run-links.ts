// What ties a run to its pull request, kept in the store so that any replica (the one driving the
// run, or one restarted after a crash) can update the check run, the comment and the reactions.
import { z } from 'zod';
import type { GithubMemory } from './ports.ts';

type Memory = Pick<GithubMemory, 'kvGet' | 'kvSet'>;

const REACTIONS = ['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes'] as const;

const runLinkSchema = z.object({
  runId: z.string(),
  owner: z.string(),
  repo: z.string(),
  pr: z.number().int(),
  headSha: z.string(),
  installationId: z.number().int(),
  commandCommentId: z.number().int(),
  checkRunId: z.number().int().nullable(),
  checkRunUrl: z.string().nullable(),
  commentId: z.number().int().nullable(),
  /** Where the run's comment is (links from other replies); absent in links saved before it was kept. */
  commentUrl: z.string().nullable().optional(),
  /** The reaction stagebot has on the command comment now, to replace it at the next stage. */
  reaction: z.object({ content: z.enum(REACTIONS), id: z.number().int() }).nullable(),
});

export type RunLink = z.infer<typeof runLinkSchema>;

const prRunsSchema = z.object({ runs: z.array(z.string()) });

/** A PR's runs are listed under its lowercased `owner/name`, the way GitHub compares names. */
function prKey(owner: string, repo: string, pr: number): string {
  return `github:pr:${owner.toLowerCase()}/${repo.toLowerCase()}#${pr}`;
}

function runKey(runId: string): string {
  return `github:run:${runId}`;
}

export async function getRunLink(memory: Pick<Memory, 'kvGet'>, runId: string): Promise<RunLink | null> {
  const entry = await memory.kvGet(runKey(runId));
  if (!entry) return null;
  const parsed = runLinkSchema.safeParse(entry.value);
  return parsed.success ? parsed.data : null;
}

export async function saveRunLink(memory: Pick<Memory, 'kvSet'>, link: RunLink, at: Date): Promise<void> {
  await memory.kvSet(runKey(link.runId), link, at);
}

export async function getPrRunIds(memory: Pick<Memory, 'kvGet'>, owner: string, repo: string, pr: number): Promise<string[]> {
  const entry = await memory.kvGet(prKey(owner, repo, pr));
  const parsed = entry ? prRunsSchema.safeParse(entry.value) : null;
  return parsed?.success ? parsed.data.runs : [];
}

/**
 * Adds a run to its PR's list. Read-modify-write: two replicas adding at the same instant may lose
 * one entry, which is why finding a PR's runs also scans the active runs' links (pr-runs.ts).
 */
export async function addPrRunId(memory: Memory, owner: string, repo: string, pr: number, runId: string, at: Date): Promise<void> {
  const runs = await getPrRunIds(memory, owner, repo, pr);
  if (runs.includes(runId)) return;
  // Bounded: a long-lived PR keeps its last 50 runs, more than any front needs to find.
  await memory.kvSet(prKey(owner, repo, pr), { runs: [...runs, runId].slice(-50) }, at);
}
