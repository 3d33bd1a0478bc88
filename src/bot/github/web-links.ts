// Where a run's pull request, comment and check run are, as links another front can show (the
// dashboard's run page). github.com's pages live at https://github.com; GitHub Enterprise Server's
// beside its /api/v3.
import type { GithubMemory } from './ports.ts';
import { getRunLink } from './run-links.ts';

export function webBaseOf(apiUrl: string): string {
  const url = apiUrl.replace(/\/+$/, '');
  if (/^https:\/\/api\.github\.com$/i.test(url)) return 'https://github.com';
  return url.replace(/\/api\/v3$/i, '');
}

export async function pullRequestLinks(memory: Pick<GithubMemory, 'kvGet'>, runId: string, apiUrl: string): Promise<{ label: string; url: string }[]> {
  const link = await getRunLink(memory, runId);
  if (!link) return [];
  const pr = `${webBaseOf(apiUrl)}/${link.owner}/${link.repo}/pull/${link.pr}`;
  return [
    { label: 'Pull request', url: link.commentId ? `${pr}#issuecomment-${link.commentId}` : pr },
    ...(link.checkRunUrl ? [{ label: 'Check run', url: link.checkRunUrl }] : []),
  ];
}
