// The check run and the living comment, rendered from run views in each state.
import { describe, expect, it } from 'vitest';
import { renderCheckRun } from '../../../src/bot/github/render-check-run.ts';
import { commentMarker, renderComment } from '../../../src/bot/github/render-comment.ts';
import { badInputReply, dryRunReply, refusalReply } from '../../../src/bot/github/render-replies.ts';
import type { GithubRunView } from '../../../src/bot/github/run-view.ts';
import type { Run, RunState } from '../../../src/domain/run.ts';
import type { BrowserOutcome, StepTiming } from '../../../src/pipeline/events.ts';

const STEPS = ['prepare-tests', 'launch', 'open-ssh', 'wait-ssh', 'service-update', 'register', 'tests', 'teardown'];
const T0 = new Date('2026-11-21T10:00:00Z');

function run(state: RunState, over: Partial<Run> = {}): Run {
  return {
    kind: 'launch',
    id: 'stg1-20261121-a1b2c3',
    env: 'stg1',
    state,
    requester: 'github:octocat',
    source: 'github',
    options: { browsers: ['chrome', 'firefox'], ref: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821' },
    createdAt: T0,
    startedAt: state === 'queued' ? null : T0,
    finishedAt: ['succeeded', 'failed', 'cancelled'].includes(state) ? new Date(T0.getTime() + 303_000) : null,
    expiresAt: null,
    leaseOwner: null,
    leaseHeartbeatAt: null,
    error: null,
    cancelRequestedBy: null,
    leaseEpoch: 0,
    handoverFrom: null,
    cancelReason: null,
    concurrencyKey: null,
    ...over,
  };
}

function timings(doneUpTo: number, current: 'running' | 'failed' | null = 'running'): StepTiming[] {
  return STEPS.map((step, i) => {
    if (i < doneUpTo) return { step, state: 'succeeded', durationMs: 1_000 * (i + 1) };
    if (i === doneUpTo && current) return { step, state: current, durationMs: current === 'failed' ? 4_000 : null };
    return { step, state: 'pending', durationMs: null };
  });
}

function browser(name: string, over: Partial<BrowserOutcome> = {}): BrowserOutcome {
  return { browser: name, outcome: 'passed', passed: 12, failed: 0, flaky: 0, skipped: 0, failingTests: [], durationMs: 61_000, reportUrl: `https://reports.example/${name}/`, detail: null, ...over };
}

function view(r: Run, over: Partial<GithubRunView> = {}): GithubRunView {
  return {
    run: r,
    timings: timings(4),
    browsers: [],
    cost: { usd: 0.1234, lines: [{ what: 'instance i-1', hours: 0.08, usd: 0.1 }], unknown: [] },
    deadManSwitch: null,
    stepErrors: [],
    cancelled: null,
    waitingFor: [],
    queuePosition: null,
    pool: ['stg1', 'stg2'],
    checkRunUrl: 'https://github.com/acme/webapp/runs/7',
    now: new Date(T0.getTime() + 120_000),
    ...over,
  };
}

describe('issue 14: ETA, expected cost, usual step times', () => {
  const estimate = { hourlyUsd: 0.36, runMs: 3 * 60_000, keepMs: 8 * 3_600_000, expectedUsd: 2.9, unknown: [] };
  it('queued: place and ETA, and the expected cost, in the check run and the comment', () => {
    const v = view(run('queued'), { queuePosition: 2, queueEtaMs: 12 * 60_000, estimate, timings: timings(0, null) });
    // Markdown-escaped (`\~`, `\.`): GitHub shows them as typed.
    expect(renderCheckRun(v).output.summary).toContain('position 2 · starts in \\~12 min');
    expect(renderCheckRun(v).output.summary).toContain('Expected cost: ≈ $0\\.36/h; with keep=8h ≈ $2\\.90.');
    expect(renderComment(v)).toContain('position 2 · starts in \\~12 min');
    expect(renderComment(v)).toContain('💲 expected cost ≈ $0\\.36/h; with keep=8h ≈ $2\\.90');
  });
  it('finished: the actual cost beside the expected, and each step against its usual', () => {
    const t: StepTiming[] = timings(STEPS.length).map((x) => ({ ...x, usualMs: 1_000, slow: false }));
    t[3] = { ...t[3]!, durationMs: 30_000, usualMs: 10_000, slow: true };
    const v = view(run('succeeded'), { estimate, timings: t });
    const summary = renderCheckRun(v).output.summary;
    expect(summary).toContain('| Step | State | Time | Usual |');
    expect(summary).toContain('| `wait-ssh` | ✅ succeeded | 30s | ⚠️ usual 10s · 3\\.0× slower than usual |');
    expect(summary).toContain('**$0.12** in total (expected ≈ $2.90)');
    expect(renderComment(v)).toContain('💲 $0.12 (expected ≈ $2.90)');
  });
});

describe('renderCheckRun', () => {
  it('queued: status queued, the position, named after the pool until an environment is taken', () => {
    const out = renderCheckRun(view(run('queued', { env: null }), { queuePosition: 2, timings: timings(0, null) }));
    expect(out.name).toBe('stagebot e2e (stg1|stg2)');
    expect(out.state).toEqual({ status: 'queued' });
    expect(out.output.title).toBe('Queued — position 2');
    expect(out.output.summary).toContain('position 2 in the queue');
  });

  it('running: in_progress, the current step in the title and every step with its state', () => {
    const out = renderCheckRun(view(run('running')));
    expect(out.name).toBe('stagebot e2e (stg1)');
    expect(out.state).toEqual({ status: 'in_progress' });
    expect(out.output.title).toBe('Running: service-update');
    for (const step of STEPS) expect(out.output.summary).toContain(`\`${step}\``);
    expect(out.output.summary).toMatch(/`service-update` \| ⏳ running/);
    expect(out.output.summary).toMatch(/`launch` \| ✅ succeeded \| 2\.0s/);
    expect(out.output.summary).toMatch(/`tests` \| ⬜ pending/);
  });

  it('succeeded: success with per-browser results, timing, total, cost and report links', () => {
    const out = renderCheckRun(view(run('succeeded'), { timings: timings(8, null), browsers: [browser('chrome'), browser('firefox', { flaky: 2 })] }));
    expect(out.state).toEqual({ status: 'completed', conclusion: 'success' });
    expect(out.output.title).toBe('Passed on chrome, firefox');
    const s = out.output.summary;
    expect(s).toContain('| chrome | ✅ passed | 12 | 0 | 0 | 1m1s | [report](https://reports.example/chrome/) |');
    expect(s).toContain('| firefox | ✅ passed | 12 | 0 | 2 | 1m1s |');
    expect(s).toContain('### Timing');
    expect(s).toContain('**Total:** 5m3s');
    expect(s).toContain('### Cost');
    expect(s).toContain('**$0.12** in total');
    expect(s).toContain('| instance i\\-1 | 0.08 | $0.10 |');
  });

  it('failed tests: failure, failing titles escaped and bounded', () => {
    const titles = ['login › rejects `bad` password | @admin <b>', ...Array.from({ length: 30 }, (_, i) => `case ${i}`)];
    const out = renderCheckRun(view(run('failed'), { timings: timings(8, null), browsers: [browser('chrome'), browser('firefox', { outcome: 'failed', failed: 31, failingTests: titles })] }));
    expect(out.state).toEqual({ status: 'completed', conclusion: 'failure' });
    expect(out.output.title).toBe('Tests failed on firefox');
    const s = out.output.summary;
    expect(s).toContain('**Failing on firefox** (12 passed, 31 failed)');
    expect(s).toContain('- ``login › rejects `bad` password | @admin <b>``');
    expect(s).toContain('_… and 6 more_');
    expect(s).not.toContain('case 29');
  });

  it('failed step: names the step and its error, escaped', () => {
    const out = renderCheckRun(
      view(run('failed', { error: 'service-update failed' }), {
        timings: timings(4, 'failed'),
        stepErrors: [{ step: 'service-update', error: 'migrate exited 3: <script>alert(1)</script> @everyone' }],
      }),
    );
    expect(out.output.title).toBe('Failed at service-update');
    expect(out.output.summary).toContain('### What went wrong');
    expect(out.output.summary).toContain('&lt;script&gt;');
    expect(out.output.summary).not.toContain('<script>');
    expect(out.output.summary).toContain('@&#8203;everyone');
  });

  it('cancelled: conclusion cancelled; a cancel still in flight keeps it in progress', () => {
    expect(renderCheckRun(view(run('cancelled', { error: 'cancelled by github:octocat' }))).state).toEqual({ status: 'completed', conclusion: 'cancelled' });
    const cancelling = renderCheckRun(view(run('running', { cancelRequestedBy: 'github:octocat' })));
    expect(cancelling.state).toEqual({ status: 'in_progress' });
    expect(cancelling.output.title).toBe('Cancelling');
  });

  it('kept: completed on the test results, and says until when', () => {
    const expiresAt = new Date(T0.getTime() + 2 * 3_600_000);
    const passed = renderCheckRun(view(run('kept', { expiresAt }), { browsers: [browser('chrome')] }));
    expect(passed.state).toEqual({ status: 'completed', conclusion: 'success' });
    expect(passed.output.title).toBe('Tests passed — stg1 kept until 2026-11-21 12:00 UTC');
    const failed = renderCheckRun(view(run('kept', { expiresAt }), { browsers: [browser('chrome', { outcome: 'failed', failed: 1 })] }));
    expect(failed.state).toEqual({ status: 'completed', conclusion: 'failure' });
  });
});

describe("the dead man's switch", () => {
  const firesAt = '2026-11-21T13:15:00.000Z';
  const line = `⏰ Dead man's switch armed: the host powers itself off at ${firesAt} unless stagebot moves it`;

  it('is shown in the check run and the comment while the run is up', () => {
    for (const r of [run('running'), run('kept', { expiresAt: new Date('2026-11-21T13:00:00Z') })]) {
      const v = view(r, { timings: timings(5), deadManSwitch: { firesAt } });
      expect(renderCheckRun(v).output.summary, r.state).toContain(line);
      expect(renderComment(v), r.state).toContain(line);
    }
  });

  it('is not shown once the run has ended, or when it was never armed', () => {
    expect(renderComment(view(run('succeeded'), { deadManSwitch: { firesAt } }))).not.toContain('Dead man');
    expect(renderCheckRun(view(run('running'))).output.summary).not.toContain('Dead man');
  });
});

describe('renderComment', () => {
  it('carries the run marker, the status line and the steps, and links the check run', () => {
    const body = renderComment(view(run('running')));
    expect(body.startsWith(commentMarker('stg1-20261121-a1b2c3'))).toBe(true);
    expect(body).toContain('🚀 Running on **stg1** — now: service\\-update');
    expect(body).toContain('✅ `launch` 2.0s');
    expect(body).toContain('⏳ `service-update`');
    expect(body).toContain('[Details in the check run](https://github.com/acme/webapp/runs/7)');
    expect(body).toContain('`/e2e cancel` stops it');
  });

  it('queued: says the position and shows no steps yet', () => {
    const body = renderComment(view(run('queued', { env: null }), { queuePosition: 3 }));
    expect(body).toContain('Queued — position 3');
    expect(body).not.toContain('`launch`');
  });

  it('queued behind a lock: names the environment, who holds it (a mention), why and since when — in the comment and the check run', () => {
    const since = new Date('2026-11-21T09:30:00Z');
    const waiting = view(run('queued'), {
      queuePosition: 1,
      timings: timings(0, null),
      waitingFor: [{ env: 'stg1', holder: 'github:hubot', holderKind: 'person', reason: 'db migration *test*', sticky: true, since }],
    });
    const expected = '**stg1** is locked by @hubot since 2026-11-21 09:30 UTC (db migration \\*test\\*)';
    expect(renderComment(waiting)).toContain(`⏸️ Queued — position 1, waiting for **stg1**: ${expected}`);
    expect(renderCheckRun(waiting).output.summary).toContain(`position 1 in the queue. ${expected}.`);
    const byRun = view(run('queued'), { queuePosition: 1, waitingFor: [{ env: 'stg1', holder: 'stg1-20261121-ffffff', holderKind: 'run', reason: null, sticky: false, since }] });
    expect(renderComment(byRun)).toContain('**stg1** is in use by run `stg1-20261121-ffffff` since 2026-11-21 09:30 UTC');
  });

  it('cancelled: 🚫 and the word for the run and the stopped step, who as a mention and why; nothing reads as failed', () => {
    const t = timings(6, null).map((x) => (x.step === 'tests' ? { ...x, state: 'cancelled' as const, durationMs: 3_000 } : x));
    const cancelled = view(run('cancelled', { error: 'cancelled by github:octocat (the pull request was closed)' }), {
      timings: t,
      cancelled: { by: 'github:octocat', reason: 'the pull request was closed' },
      browsers: [browser('chrome', { outcome: 'cancelled', passed: 0 })],
    });
    const body = renderComment(cancelled);
    expect(body).toContain('🚫 Cancelled by @octocat (the pull request was closed)');
    expect(body).toContain('🚫 `tests` 3.0s');
    expect(body).not.toContain('❌');
    const check = renderCheckRun(cancelled);
    expect(check.state).toEqual({ status: 'completed', conclusion: 'cancelled' });
    expect(check.output.title).toBe('Cancelled by @octocat');
    expect(check.output.summary).toContain('| `tests` | 🚫 cancelled | 3.0s |');
    expect(check.output.summary).toContain('🚫 **Cancelled** by @octocat (the pull request was closed).');
    expect(check.output.summary).not.toContain('What went wrong');
    expect(check.output.summary).not.toContain('❌');
  });

  it('finished: results per browser, total time and cost, no cancel hint', () => {
    const body = renderComment(view(run('succeeded'), { timings: timings(8, null), browsers: [browser('chrome', { flaky: 1 })] }));
    expect(body).toContain('✅ Passed');
    expect(body).toContain('- ✅ chrome: 12 passed, 1 flaky (1m1s) · [report](https://reports.example/chrome/)');
    expect(body).toContain('⏱️ 5m3s · 💲 $0.12');
    expect(body).not.toContain('/e2e cancel');
  });
});

describe('replies', () => {
  it('bad input: the one-line error, then the help in a block', () => {
    const body = badInputReply('octocat', 'unknown environment `stg9`; known: stg1\nsecond line', 'Commands:\n  /e2e [env]');
    expect(body.split('\n')[0]).toBe('@octocat ❌ unknown environment `stg9`; known: stg1 second line');
    expect(body).toContain('```text\nCommands:\n  /e2e [env]\n```');
  });

  it('a refusal says why and mentions only a real login', () => {
    expect(refusalReply('octocat', 'you need write')).toBe('@octocat 🚫 stagebot did not run this: you need write');
    expect(refusalReply('weird login]', 'x')).toContain('weird login\\]');
  });

  it('a dry run lists its checks', () => {
    const body = dryRunReply('stg1', { ok: false, checks: [{ check: 'RunInstances', ok: false, detail: 'UnauthorizedOperation' }] });
    expect(body).toContain('a launch would fail');
    expect(body).toContain('- ❌ RunInstances: UnauthorizedOperation');
  });
});
