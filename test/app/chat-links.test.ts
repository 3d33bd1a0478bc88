// Where a run was discussed, for the dashboard's run page: the Slack thread (its permalink, asked of
// Slack when the Slack front is up) and the pull request with stagebot's comment and check run.
import { describe, expect, it } from 'vitest';
import { chatLinks } from '../../src/app/fronts.ts';
import { saveRunLink } from '../../src/bot/github/run-links.ts';
import { saveThread } from '../../src/bot/slack/thread-record.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { openStore } from '../../src/store/index.ts';

const RUN = 'stg1-20261121-a1b2c3';

describe('chatLinks', () => {
  it('links the Slack thread and the pull request, its comment and its check run', async () => {
    const store = await openStore({ sqlitePath: ':memory:' });
    await saveThread(store, RUN, { channel: 'C0123STAGING', ts: '1700000000.000100', replied: [] });
    await saveRunLink(store, { runId: RUN, owner: 'acme', repo: 'webapp', pr: 42, headSha: 'abc', installationId: 1, commandCommentId: 7, checkRunId: 9, checkRunUrl: 'https://github.com/acme/webapp/runs/9', commentId: 1234, reaction: null }, new Date());
    const asked: unknown[] = [];
    const slack = { permalink: async (at: unknown) => (asked.push(at), 'https://acme.slack.com/archives/C0123STAGING/p1700000000000100') };
    expect(await chatLinks(store, slack, 'https://api.github.com', silentLogger()).forRun(RUN)).toEqual([
      { label: 'Slack thread', url: 'https://acme.slack.com/archives/C0123STAGING/p1700000000000100' },
      { label: 'Pull request', url: 'https://github.com/acme/webapp/pull/42#issuecomment-1234' },
      { label: 'Check run', url: 'https://github.com/acme/webapp/runs/9' },
    ]);
    expect(asked).toEqual([{ channel: 'C0123STAGING', ts: '1700000000.000100' }]);
    // GitHub Enterprise Server's pages live beside its API; without a Slack front there is no thread link; Slack failing drops only its link.
    expect((await chatLinks(store, null, 'https://github.acme.example/api/v3', silentLogger()).forRun(RUN)).map((l) => l.url)).toEqual([
      'https://github.acme.example/acme/webapp/pull/42#issuecomment-1234',
      'https://github.com/acme/webapp/runs/9',
    ]);
    const failing = { permalink: async () => Promise.reject(new Error('ratelimited')) };
    expect((await chatLinks(store, failing, 'https://api.github.com', silentLogger()).forRun(RUN)).map((l) => l.label)).toEqual(['Pull request', 'Check run']);
    expect(await chatLinks(store, slack, 'https://api.github.com', silentLogger()).forRun('stg2-20261121-ffffff')).toEqual([]);
    await store.close();
  });
});
