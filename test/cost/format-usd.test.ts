// One money format, whichever front or report shows it (issue 9.7): a run that cost a fraction of a
// cent reads `<$0.01` in Slack, on GitHub and in the terminal — never `$0.0000` in one and `<$0.01` in another.
import { describe, expect, it } from 'vitest';
import { renderRunDocument, runDocument } from '../../src/bot/cli/render.ts';
import { renderCheckRun } from '../../src/bot/github/render-check-run.ts';
import { renderComment } from '../../src/bot/github/render-comment.ts';
import { renderParent } from '../../src/bot/slack/render-parent.ts';
import type { RunView } from '../../src/commands/executor.ts';
import { formatUsd } from '../../src/cost/estimate.ts';
import type { Run } from '../../src/domain/run.ts';

const T0 = new Date('2026-11-21T10:00:00Z');
const T1 = new Date('2026-11-21T10:01:00Z');

function view(usd: number): RunView {
  const run: Run = {
    kind: 'launch', id: 'stg1-20261121-a1b2c3', env: 'stg1', state: 'succeeded', requester: 'slack:U0ALICE', source: 'slack', options: { browsers: ['chrome'] },
    createdAt: T0, startedAt: T0, finishedAt: T1, expiresAt: null, leaseOwner: null, leaseHeartbeatAt: null, error: null,
    cancelRequestedBy: null, cancelReason: null, concurrencyKey: null, leaseEpoch: 0, handoverFrom: null,
  };
  return {
    run,
    steps: [],
    timings: [{ step: 'launch', state: 'succeeded', durationMs: 60_000 }],
    startedAt: new Map(),
    stepErrors: [],
    cancelled: null,
    browsers: [],
    cost: { usd, lines: [{ what: 't3.micro instance i-1', hours: 0.02, usd }], unknown: [] },
    deadManSwitch: null,
    assets: [],
    queuePosition: null,
    waitingFor: [],
    pool: ['stg1'],
    links: { reports: [], runPage: null },
    artifacts: [],
    now: T1,
  };
}

describe('formatUsd: the one money format', () => {
  it('shows cents, an amount under a cent as <$0.01, zero as $0.00, and an unpriced amount as unknown', () => {
    expect(formatUsd(0.00004)).toBe('<$0.01');
    expect(formatUsd(0.0099)).toBe('<$0.01');
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(0.01)).toBe('$0.01');
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatUsd(null)).toBe('unknown');
  });

  it('Slack, the GitHub comment and check run, and the CLI show a sub-cent run cost the same way', () => {
    const v = view(0.00004);
    const slack = JSON.stringify(renderParent({ ...v, cost: v.cost, thread: {}, prefix: '/stage' }).blocks);
    // Slack's mrkdwn gives `<` a meaning: the same text, escaped.
    expect(slack).toContain(':moneybag: cost of the run: &lt;$0.01');
    expect(slack).not.toContain('$0.0000');
    const github = { ...v, checkRunUrl: null };
    expect(renderComment(github)).toContain('💲 <$0.01');
    const summary = renderCheckRun(github).output.summary;
    expect(summary).toContain('**<$0.01** in total');
    expect(summary).toContain('| t3\\.micro instance i\\-1 | 0.02 | <$0.01 |');
    expect(renderRunDocument(runDocument(v))).toContain('cost: <$0.01');
  });
});
