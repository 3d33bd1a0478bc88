import { describe, expect, it } from 'vitest';
import type { Run } from '../../../src/domain/run.ts';
import type { BrowserOutcome, EngineEvent, StepTiming } from '../../../src/pipeline/events.ts';
import { code, codeBlock, esc, fit, who } from '../../../src/bot/slack/mrkdwn.ts';
import { renderHome } from '../../../src/bot/slack/render-home.ts';
import { renderParent, type ParentView } from '../../../src/bot/slack/render-parent.ts';
import { renderReply } from '../../../src/bot/slack/render-reply.ts';
import { renderResult } from '../../../src/bot/slack/render-result.ts';
import { renderReapResult } from '../../../src/bot/slack/render-reap.ts';
import { renderSweepReport } from '../../../src/bot/slack/render-sweep.ts';
import { renderSweepText, type OrphanEntry, type SweepReport } from '../../../src/audit/index.ts';
import { blockText, buttonsOf } from './support/fake-slack.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const STEPS = ['prepare-tests', 'launch', 'open-ssh', 'wait-ssh', 'arm-switch', 'service-update', 'register', 'tests', 'teardown'];

function run(over: Partial<Run> = {}): Run {
  return {
    kind: 'launch',
    id: 'stg4-20261121-a1b2c3',
    env: 'stg4',
    state: 'running',
    requester: 'slack:U0ALICE',
    source: 'slack',
    options: { browsers: ['chrome', 'firefox'] },
    createdAt: new Date(NOW.getTime() - 600_000),
    startedAt: new Date(NOW.getTime() - 600_000),
    finishedAt: null,
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

function timings(states: Partial<Record<string, StepTiming['state']>>, ms = 1_000): StepTiming[] {
  return STEPS.map((step) => {
    const state = states[step] ?? 'pending';
    return { step, state, durationMs: state === 'pending' || state === 'running' ? null : ms };
  });
}

function browser(name: string, over: Partial<BrowserOutcome> = {}): BrowserOutcome {
  return { browser: name, outcome: 'passed', passed: 12, failed: 0, flaky: 0, skipped: 0, failingTests: [], durationMs: 60_000, reportUrl: null, detail: null, ...over };
}

function view(over: Partial<ParentView> = {}): ParentView {
  return {
    run: run(),
    timings: timings({}),
    startedAt: new Map(),
    browsers: [],
    cost: null,
    assets: [],
    deadManSwitch: null,
    cancelled: null,
    queuePosition: null,
    waitingFor: [],
    thread: {},
    now: NOW,
    prefix: '/stage',
    ...over,
  };
}

const done = Object.fromEntries(STEPS.map((s) => [s, 'succeeded' as const]));

describe('mrkdwn', () => {
  it('escapes the three characters Slack gives meaning to, and nothing else', () => {
    expect(esc('<!channel> & <@U1> <http://x|y>')).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;http://x|y&gt;');
    expect(code('a`b <c>')).toBe("`a'b &lt;c&gt;`");
    expect(codeBlock('x ``` y')).toBe("```x ''' y```");
  });

  it('mentions Slack requesters and shows others as text', () => {
    expect(who('slack:U0ALICE')).toBe('<@U0ALICE>');
    expect(who('github:octo<cat>')).toBe('github:octo&lt;cat&gt;');
  });

  it('cuts long text under the limit and closes a cut code block', () => {
    const long = `intro\n\`\`\`${'x'.repeat(5_000)}\`\`\``;
    const cut = fit(long);
    expect(cut.length).toBeLessThanOrEqual(3_000);
    expect((cut.match(/```/g) ?? []).length % 2).toBe(0);
    expect(cut).toContain('(cut)');
  });
});

describe('renderParent', () => {
  it('shows env, run, requester, browsers and a checklist with running time', () => {
    const msg = renderParent(
      view({
        timings: timings({ 'prepare-tests': 'skipped', launch: 'succeeded', 'open-ssh': 'running' }, 41_000),
        startedAt: new Map([['open-ssh', new Date(NOW.getTime() - 72_000)]]),
      }),
    );
    const text = blockText(msg.blocks);
    expect(text).toContain('*stg4* — running');
    expect(text).toContain('`stg4-20261121-a1b2c3`');
    expect(text).toContain('<@U0ALICE>');
    expect(text).toContain('chrome, firefox');
    expect(text).toContain(':heavy_minus_sign: prepare-tests — skipped');
    expect(text).toContain(':white_check_mark: launch — 41s');
    expect(text).toContain('*open-ssh* — running for 1m12s');
    expect(text).toContain(':white_circle: teardown');
    expect(buttonsOf(msg.blocks).map((b) => b.actionId)).toEqual(['stagebot.cancel']);
    expect(msg.text).toBe('stg4 run stg4-20261121-a1b2c3: running');
  });

  it('a promotion says what it promotes, and at its end lists the release it kept apart from what it tore down', () => {
    const PROMOTE = ['copy-image', 'share', 'publish', 'deprecate', 'teardown'];
    const asset = (kind: 'image' | 'snapshot', id: string, region: string, deleted: boolean) => ({ runId: 'promote-mentor-app-20261121-a1b2c3', kind, id, region, createdAt: NOW, deletedAt: deleted ? NOW : null });
    const promotion = run({ kind: 'promote', id: 'promote-mentor-app-20261121-a1b2c3', env: 'image:mentor-app', state: 'succeeded', finishedAt: NOW, options: { browsers: [], image: 'mentor-app', promote: { source: 'candidate', to: 'latest' } } });
    const text = blockText(
      renderParent(
        view({
          run: promotion,
          timings: PROMOTE.map((step) => ({ step, state: 'succeeded', durationMs: 1_000 })),
          assets: [asset('image', 'ami-0aaaaaaaaaaaaaaa1', 'eu-west-1', false), asset('snapshot', 'snap-0aaaaaaaaaaaaaaa1', 'eu-west-1', false), asset('image', 'ami-0bbbbbbbbbbbbbbb2', 'us-east-1', true)],
        }),
      ).blocks,
    );
    expect(text).toContain('promotes mentor-app `candidate` to *latest*');
    expect(text).not.toContain('browsers');
    expect(text).toContain(':package: kept: image `ami-0aaaaaaaaaaaaaaa1` (eu-west-1), snapshot `snap-0aaaaaaaaaaaaaaa1` (eu-west-1) — the release the manifest names');
    expect(text).toContain(':broom: all 1 other assets torn down');
    expect(text).not.toContain('NOT torn down');
    // A failed promotion's copy still there is a leftover, not a release.
    const failed = blockText(renderParent(view({ run: { ...promotion, state: 'failed', error: 'copy failed' }, assets: [asset('image', 'ami-0aaaaaaaaaaaaaaa1', 'eu-west-1', false)] })).blocks);
    expect(failed).toContain(':warning: NOT torn down: image `ami-0aaaaaaaaaaaaaaa1`');
  });

  it('says where a queued run stands and offers Cancel', () => {
    const msg = renderParent(view({ run: run({ state: 'queued', startedAt: null }), queuePosition: 3 }));
    const text = blockText(msg.blocks);
    expect(text).toContain('position 3 in the queue');
    expect(text).toContain('starts when stg4 is free');
    expect(text).not.toContain(':white_circle:');
    expect(buttonsOf(msg.blocks).map((b) => b.actionId)).toEqual(['stagebot.cancel']);
  });

  it('issue 14: a queued run says when it starts and what it will cost; the end shows the actual beside it and flags a slow step', () => {
    const estimate = { hourlyUsd: 0.36, runMs: 3 * 60_000, keepMs: 8 * 3_600_000, expectedUsd: 2.9, unknown: [] };
    const queued = blockText(renderParent(view({ run: run({ state: 'queued', startedAt: null }), queuePosition: 2, queueEtaMs: 12 * 60_000, estimate })).blocks);
    expect(queued).toContain('position 2 · starts in ~12 min');
    expect(queued).toContain(':moneybag: expected cost ≈ $0.36/h; with keep=8h ≈ $2.90');
    const slow = timings(done, 61_000).map((t) => (t.step === 'service-update' ? { ...t, durationMs: 25 * 60_000, usualMs: 10 * 60_000, slow: true } : { ...t, usualMs: 61_000, slow: false }));
    const ended = blockText(renderParent(view({ run: run({ state: 'succeeded', finishedAt: NOW }), timings: slow, cost: { usd: 3.1, lines: [], unknown: [] }, estimate })).blocks);
    expect(ended).toContain('cost of the run: $3.10 (expected ≈ $2.90)');
    expect(ended).toMatch(/service-update +succeeded +25m +⚠ usual 10m · 2\.5× slower than usual/);
    expect(ended).toMatch(/launch +succeeded +1m1s +usual 1m1s\n/);
    expect(ended).not.toContain('expected cost ≈');
  });

  it('offers Keep 2h once a browser has failed while the run still goes, and notes a keep already asked', () => {
    const failing = view({ browsers: [browser('firefox', { outcome: 'failed', failed: 2 })], timings: timings({ tests: 'running' }) });
    expect(buttonsOf(renderParent(failing).blocks).map((b) => b.text)).toEqual(['Cancel', 'Keep 2h']);
    const asked = renderParent({ ...failing, run: run({ options: { browsers: ['firefox'], keepMs: 7_200_000 } }), thread: { keptBy: 'slack:U0BOB' } });
    expect(buttonsOf(asked.blocks).map((b) => b.text)).toEqual(['Cancel']);
    expect(blockText(asked.blocks)).toContain('stays up 2h after the tests (asked by <@U0BOB>)');
  });

  it('ends a failed run with results, timing table, cost, teardown and a rerun of the failed browsers', () => {
    const msg = renderParent(
      view({
        run: run({ state: 'failed', finishedAt: NOW, error: '1 of 2 browsers failed: firefox (2 failed) <!here>' }),
        timings: timings(done, 61_000),
        browsers: [browser('chrome'), browser('firefox', { outcome: 'failed', failed: 2, reportUrl: 'https://r.example/a|b>c' })],
        cost: { usd: 0.1234, lines: [], unknown: [] },
        assets: [
          { runId: 'x', kind: 'instance', id: 'i-1', region: 'eu-west-1', createdAt: NOW, deletedAt: NOW },
          { runId: 'x', kind: 'volume', id: 'vol-1', region: 'eu-west-1', createdAt: NOW, deletedAt: NOW },
        ],
      }),
    );
    const text = blockText(msg.blocks);
    expect(text).toContain(':x: *stg4* — failed');
    expect(text).toContain(':x: tests — 1m1s (firefox failed)');
    expect(text).toContain('*firefox*: 12 passed, 2 failed in 1m ·');
    expect(text).toContain('<https://r.example/a%7Cb&gt;c|report>');
    expect(text).toContain('&lt;!here&gt;');
    expect(text).not.toContain('<!here>');
    expect(text).toMatch(/```\nstep +state +time\n/);
    expect(text).toContain('(sum)');
    expect(text).toContain('cost of the run: $0.12');
    expect(text).toContain('all 2 assets torn down');
    expect(buttonsOf(msg.blocks).map((b) => [b.actionId, b.text])).toEqual([['stagebot.rerun', 'Rerun failed browsers (firefox)']]);
  });

  it('ends a cancelled run as cancelled: its own icon and word for the run and the stopped step, who and why, no rerun of "failed" browsers', () => {
    const msg = renderParent(
      view({
        run: run({ state: 'cancelled', finishedAt: NOW, error: 'cancelled by slack:U0BOB (wrong <branch>)', cancelRequestedBy: 'slack:U0BOB', cancelReason: 'wrong <branch>' }),
        timings: timings({ 'prepare-tests': 'succeeded', launch: 'succeeded', 'open-ssh': 'succeeded', 'wait-ssh': 'succeeded', 'arm-switch': 'succeeded', 'service-update': 'succeeded', register: 'succeeded', tests: 'cancelled', teardown: 'succeeded' }, 4_000),
        browsers: [browser('chrome', { outcome: 'cancelled', passed: 0 }), browser('firefox', { outcome: 'cancelled', passed: 3 })],
        cancelled: { by: 'slack:U0BOB', reason: 'wrong <branch>' },
        cost: { usd: 0.02, lines: [], unknown: [] },
      }),
    );
    const text = blockText(msg.blocks);
    expect(text).toContain(':no_entry_sign: *stg4* — cancelled');
    expect(text).toContain(':no_entry_sign: tests — cancelled after 4.0s');
    expect(text).toContain(':no_entry_sign: cancelled by <@U0BOB>: wrong &lt;branch&gt;');
    expect(text).not.toContain(':x:');
    expect(text).not.toContain(':warning:');
    expect(text).toMatch(/tests +cancelled/);
    expect(buttonsOf(msg.blocks)).toEqual([]);
    // Its status line names who as a mention too.
    const cancelled = run({ state: 'cancelled', error: 'cancelled by slack:U0BOB' });
    const status = renderResult(
      {
        kind: 'run',
        view: { run: cancelled, steps: [], timings: timings({ tests: 'cancelled' }), startedAt: new Map(), stepErrors: [], cancelled: { by: 'slack:U0BOB', reason: null }, browsers: [], cost: { usd: 0, lines: [], unknown: [] }, deadManSwitch: null, assets: [], queuePosition: null, waitingFor: [], pool: [], links: { reports: [], runPage: null }, artifacts: [], now: NOW },
      },
      '/stage',
    );
    expect(status.text).toContain(':no_entry_sign: cancelled by <@U0BOB>');
  });

  it('names the lock a queued run waits for: holder as a mention, reason escaped, since when', () => {
    const since = new Date(NOW.getTime() - 3_600_000);
    const msg = renderParent(
      view({
        run: run({ state: 'queued', startedAt: null }),
        queuePosition: 1,
        waitingFor: [{ env: 'stg4', holder: 'slack:U0PLATFORM', holderKind: 'person', reason: 'db <migration>', sticky: true, since }],
      }),
    );
    const text = blockText(msg.blocks);
    expect(text).toContain(`starts when stg4 is free: *stg4* is locked by <@U0PLATFORM> since <!date^${Math.floor(since.getTime() / 1000)}^`);
    expect(text).toContain(': db &lt;migration&gt;');
    const byRun = blockText(renderParent(view({ run: run({ state: 'queued', startedAt: null }), waitingFor: [{ env: 'stg4', holder: 'stg4-20261121-ffffff', holderKind: 'run', reason: null, sticky: false, since }] })).blocks);
    expect(byRun).toContain('*stg4* is in use by run `stg4-20261121-ffffff` since');
  });

  it('says what a kept run keeps and until when, and what a teardown could not delete', () => {
    const kept = renderParent(
      view({
        run: run({ state: 'kept', expiresAt: new Date(NOW.getTime() + 7_200_000) }),
        timings: timings(Object.fromEntries(STEPS.slice(0, 7).map((s) => [s, 'succeeded' as const]))),
        assets: [{ runId: 'x', kind: 'instance', id: 'i-1', region: 'eu-west-1', createdAt: NOW, deletedAt: null }],
        cost: { usd: 0.5, lines: [], unknown: [] },
      }),
    );
    const text = blockText(kept.blocks);
    expect(text).toMatch(/kept until <!date\^\d+\^/);
    expect(text).toContain('instance `i-1`');
    expect(text).toContain('`/stage teardown stg4-20261121-a1b2c3`');
    expect(buttonsOf(kept.blocks).map((b) => b.text)).toEqual(['Keep 2h more']);

    const leak = renderParent(
      view({
        run: run({ state: 'failed', finishedAt: NOW }),
        timings: timings(done),
        assets: [{ runId: 'x', kind: 'instance', id: 'i-1', region: 'eu-west-1', createdAt: NOW, deletedAt: null }],
      }),
    );
    expect(blockText(leak.blocks)).toContain('NOT torn down: instance `i-1`');
  });

  it("shows the dead man's switch while the run is up (running or kept), not once it has ended", () => {
    const firesAt = new Date(NOW.getTime() + 3 * 3_600_000);
    const line = `:alarm_clock: dead man's switch armed: the host powers itself off <!date^${firesAt.getTime() / 1000}^`;
    const up = { timings: timings({ launch: 'succeeded', 'arm-switch': 'succeeded' }), deadManSwitch: { firesAt: firesAt.toISOString() } };
    expect(blockText(renderParent(view({ ...up, run: run() })).blocks)).toContain(line);
    expect(blockText(renderParent(view({ ...up, run: run({ state: 'kept', expiresAt: NOW }) })).blocks)).toContain(line);
    expect(blockText(renderParent(view({ ...up, run: run({ state: 'succeeded', finishedAt: NOW }) })).blocks)).not.toContain('dead man');
    expect(blockText(renderParent(view({ run: run() })).blocks)).not.toContain('dead man');
  });

  it('offers no rerun once one was started, and none for a success', () => {
    const base = { run: run({ state: 'failed' as const, finishedAt: NOW }), timings: timings(done), browsers: [browser('firefox', { outcome: 'timed-out' })] };
    const rerun = renderParent(view({ ...base, thread: { rerunAs: 'stg4-20261121-d4e5f6' } }));
    expect(buttonsOf(rerun.blocks)).toEqual([]);
    expect(blockText(rerun.blocks)).toContain('rerun started: `stg4-20261121-d4e5f6`');
    expect(buttonsOf(renderParent(view({ run: run({ state: 'succeeded', finishedAt: NOW }), timings: timings(done) })).blocks)).toEqual([]);
    // A run that failed before its tests is offered a plain rerun.
    expect(buttonsOf(renderParent(view({ run: run({ state: 'failed', finishedAt: NOW }), timings: timings({ launch: 'failed' }) })).blocks).map((b) => b.text)).toEqual(['Rerun']);
  });
});

describe('renderReply', () => {
  const base = { runId: 'stg4-20261121-a1b2c3', at: NOW };

  it('shows a failed step with its error and output tail, escaped and bounded', () => {
    const tail = `${'line\n'.repeat(1_000)}npm ERR! <script> & \`\`\` done`;
    const text = renderReply({ ...base, type: 'step.failed', step: 'service-update', durationMs: 123_000, error: 'item "migrate" exited 3', tail } as EngineEvent)!;
    expect(text).toMatch(/^:x: \*service-update\* failed after 2m3s: item "migrate" exited 3\n```/);
    expect(text).toContain('npm ERR! &lt;script&gt; &amp;');
    expect(text.length).toBeLessThan(3_000);
    expect((text.match(/```/g) ?? []).length).toBe(2);
  });

  it('lists failing test titles and the report link of each browser', () => {
    const results = [browser('chrome'), browser('webkit', { outcome: 'failed', failed: 12, failingTests: Array.from({ length: 12 }, (_, i) => `t${i} <x>`), reportUrl: 'https://r.example/w' })];
    const text = renderReply({ ...base, type: 'step.finished', step: 'tests', durationMs: 90_000, detail: { results, allPassed: false, summary: '1 of 2 browsers failed' } } as EngineEvent)!;
    expect(text).toMatch(/^:x: \*tests\* done in 1m30s: 1 of 2 browsers failed/);
    expect(text).toContain('• t0 &lt;x&gt;');
    expect(text).toContain('… and 2 more');
    expect(text).toContain('<https://r.example/w|report>');
  });

  it('posts a step warning in the thread (a subnet skipped, someone else\'s target taken off), escaped; a stopped step says nothing of its own', () => {
    const text = renderReply({ ...base, type: 'step.warning', step: 'register', message: 'deregistered i-1 (not launched by stagebot: <web>) from stg4-web' } as EngineEvent);
    expect(text).toBe(':warning: *register*: deregistered i-1 (not launched by stagebot: &lt;web&gt;) from stg4-web');
    expect(renderReply({ ...base, type: 'step.cancelled', step: 'tests', durationMs: 1_000, by: 'slack:U1', reason: null } as EngineEvent)).toBeNull();
    expect(renderReply({ ...base, type: 'run.cancel-requested', by: 'slack:U0BOB', reason: 'wrong <branch>' } as EngineEvent)).toBe(':no_entry_sign: cancel requested by <@U0BOB> (wrong &lt;branch&gt;); tearing down');
  });

  it('tells the thread a retest was interrupted by a crash: the environment is still kept, and how to run the tests again', () => {
    const text = renderReply({ ...base, type: 'run.retest-interrupted', reason: 'its process (cli:<x>) stopped', until: '2026-11-21T12:00:00.000Z' } as EngineEvent)!;
    expect(text).toMatch(/^:warning: the retest was interrupted \(its process \(cli:&lt;x&gt;\) stopped\): its tests did not finish; the environment is still kept until /);
    expect(text).toContain('`retest stg4-20261121-a1b2c3` runs them again');
  });

  it('has nothing to say for log lines and asset events', () => {
    expect(renderReply({ ...base, type: 'step.log', step: 'tests', line: 'x' } as EngineEvent)).toBeNull();
    expect(renderReply({ ...base, type: 'asset.created', kind: 'instance', id: 'i-1', region: 'eu-west-1' } as EngineEvent)).toBeNull();
  });
});

describe('renderResult and renderHome', () => {
  it('answers a lock in the channel with the reason escaped, and queries only to the asker', () => {
    const lock = renderResult({ kind: 'locked', lock: { env: 'stg2', holder: 'slack:U0QA', holderKind: 'person', reason: '<!channel> & co', sticky: true, since: NOW } }, '/stage');
    expect(lock.visibility).toBe('in_channel');
    expect(lock.text).toContain('&lt;!channel&gt; &amp; co');
    expect(lock.text).toContain('`/stage unlock stg2`');
    expect(renderResult({ kind: 'help', text: 'Usage: x' }, '/stage').visibility).toBe('ephemeral');
  });

  it('shows environments, queue, recent runs and the orphan count with its daily cost', () => {
    const view = renderHome({
      environments: [
        { env: 'stg1', run: run({ env: 'stg1' }), lock: null },
        { env: 'stg2', run: null, lock: { env: 'stg2', holder: 'slack:U0QA', holderKind: 'person', reason: 'demo <b>', sticky: true, since: NOW } },
        { env: 'stg3', run: null, lock: null },
      ],
      queue: [run({ id: 'stg1-20261121-ffffff', state: 'queued', requester: 'slack:U0BOB' })],
      recent: [run({ state: 'failed' })],
      orphans: { count: 3, dailyUsd: 12.5, at: NOW },
      now: NOW,
      prefix: '/stage',
    });
    expect(view.type).toBe('home');
    const text = blockText(view.blocks);
    expect(text).toMatch(/\*stg1\* — running run `stg4-20261121-a1b2c3` by <@U0ALICE> since <!date/);
    expect(text).toContain('*stg2* — locked by <@U0QA>');
    expect(text).toContain('demo &lt;b&gt;');
    expect(text).toContain('*stg3* — free');
    expect(text).toContain('1. `stg1-20261121-ffffff` by <@U0BOB>');
    expect(text).toContain(':x: `stg4-20261121-a1b2c3`');
    expect(text).toContain('*3* orphaned assets, costing $12.50 a day');
    expect(text).not.toContain('incomplete');
  });

  it('a reap the limit stopped names Slack\'s own ways to confirm, never the CLI\'s', () => {
    const data = {
      sweepId: 3, startedAt: NOW, finishedAt: NOW, mode: 'reap', confirmed: false, regions: ['eu-west-1'], complete: true, unswept: [], accountRefused: null,
      awsCalls: 4, minimumCalls: 4, orphans: [], totalsByKind: {}, dailyCostUsd: 0, accruedCostUsd: 0, unpriced: [], marked: 0, unmarked: 0, dueCount: 30,
      reaped: [], skipped: [], reapedSinceLastReport: [], drift: [], needsConfirmation: true, limit: 25, errors: [],
    } satisfies SweepReport;
    const answer = renderResult({ kind: 'sweep', report: { data, text: renderSweepText(data, '/stage'), problems: [] } }, '/stage');
    expect(answer.text).toContain('Confirm with `/stage sweep --reap --confirm`.');
    expect(answer.text).toContain('*Reap now* on the daily sweep report');
    expect(answer.text).not.toContain('stagebot sweep');
  });

  it('says when the latest sweep was incomplete, and that the count is the last complete one', () => {
    const text = blockText(
      renderHome({
        environments: [], queue: [], recent: [], now: NOW, prefix: '/stage',
        orphans: { count: 3, dailyUsd: 12.5, at: NOW },
        sweepIncomplete: { at: NOW, problems: ['could not sweep us-east-1: no AWS credentials found <x>'] },
      }).blocks,
    );
    expect(text).toMatch(/:warning: \*The sweep of <!date[^>]*> was incomplete\*: the figures below are from the last complete one\./);
    expect(text).toContain('• could not sweep us-east-1: no AWS credentials found &lt;x&gt;');
    expect(text).toContain('*3* orphaned assets');
  });
});

describe('renderSweepReport', () => {
  const orphan = (id: string, dailyUsd: number | null, reason = 'run failed 3 days ago; instance still running'): OrphanEntry => ({
    kind: 'instance', id, region: 'eu-west-1', env: 'stg4', runId: null, requester: null, reason, detail: 't3.2xlarge running',
    ageMs: 3 * 86_400_000, accruedUsd: 26.3, dailyUsd, reapAfter: null, marked: true, due: false,
  });
  const report = (over: Partial<SweepReport> = {}): SweepReport => ({
    sweepId: 7, startedAt: NOW, finishedAt: NOW, mode: 'reap', confirmed: false, regions: ['eu-west-1'], complete: true, unswept: [], accountRefused: null, awsCalls: 12, minimumCalls: 10,
    orphans: [], totalsByKind: {}, dailyCostUsd: 0, accruedCostUsd: 0, unpriced: [], marked: 0, unmarked: 0, dueCount: 0, reaped: [],
    skipped: [], reapedSinceLastReport: [], drift: [], needsConfirmation: false, limit: 50, errors: [], ...over,
  });

  it('leads with the count and daily cost, lists the costliest orphans first with their reason, escaped', () => {
    const msg = renderSweepReport(
      report({ orphans: [orphan('i-cheap', 1), orphan('i-dear', 9, 'tagged by <someone> & left'), orphan('i-unknown', null)], dailyCostUsd: 10, accruedCostUsd: 30 }),
      '/stage',
    );
    const text = blockText(msg.blocks);
    expect(text).toContain('*3 orphaned assets*, $10.00 a day ($30.00 so far)');
    expect(text.indexOf('i-dear')).toBeLessThan(text.indexOf('i-cheap'));
    expect(text.indexOf('i-cheap')).toBeLessThan(text.indexOf('i-unknown'));
    expect(text).toContain('tagged by &lt;someone&gt; &amp; left');
    expect(text).toContain('price unknown');
    expect(text).toContain('Sweep #7');
  });

  it('says when the limit stopped the reaping and how to confirm', () => {
    const text = blockText(renderSweepReport(report({ orphans: [orphan('i-1', 1)], needsConfirmation: true, dueCount: 80, limit: 50 }), '/stage').blocks);
    expect(text).toContain('80 were due, more than the limit of 50: nothing was reaped');
    expect(text).toContain('*Reap now* below (or `/stage sweep --reap --confirm`)');
  });

  it('offers Reap now with a confirmation naming how many are due and what they cost a day', () => {
    const due = (id: string, dailyUsd: number | null): OrphanEntry => ({ ...orphan(id, dailyUsd), due: true });
    const orphans = [due('i-1', 4.5), due('i-2', 3.25), due('i-3', null), orphan('i-not-yet', 100)];
    const msg = renderSweepReport(report({ orphans, needsConfirmation: true, dueCount: 3, limit: 2 }), '/stage');
    expect(buttonsOf(msg.blocks)).toEqual([{ actionId: 'stagebot.reap-now', value: '7', text: 'Reap now (3)' }]);
    const button = (msg.blocks!.find((b) => b.type === 'actions') as unknown as { elements: Record<string, any>[] }).elements[0]!;
    expect(button.style).toBe('danger');
    expect(button.confirm.title.text).toBe('Reap now?');
    expect(button.confirm.text.text).toBe(
      'Delete the 3 orphaned assets past their grace period, costing $7.75 a day (1 not priced)? Each is checked again just before it is deleted. That is more than the per-sweep limit of 2: this confirms all of them.',
    );
    expect(button.confirm.confirm.text).toBe('Reap 3');
    expect(button.confirm.deny.text).toBe('Not now');
    for (const t of [button.confirm.title.text, button.confirm.confirm.text, button.confirm.deny.text]) expect(t.length).toBeLessThanOrEqual(30);
    expect(button.confirm.text.text.length).toBeLessThanOrEqual(300);
  });

  it('an incomplete sweep leads with what it could not sweep and never says "no orphaned assets"', () => {
    const msg = renderSweepReport(
      report({ complete: false, unswept: [{ region: 'us-east-1', kind: null, reason: 'no AWS credentials found (set AWS_PROFILE)' }] }),
      '/stage',
    );
    const text = blockText(msg.blocks);
    expect(text.split('\n')[0]).toBe(':warning: could not sweep us-east-1: no AWS credentials found (set AWS_PROFILE)');
    expect(text).toContain('*Daily sweep INCOMPLETE*');
    expect(text).not.toContain('no orphaned assets');
    expect(text).not.toContain(':sparkles:');
    expect(msg.text).toBe('Daily sweep INCOMPLETE: could not sweep us-east-1: no AWS credentials found (set AWS_PROFILE)');
  });

  it('has no Reap now button when nothing is past its grace period', () => {
    expect(buttonsOf(renderSweepReport(report({ orphans: [orphan('i-1', 1)] }), '/stage').blocks)).toEqual([]);
    expect(buttonsOf(renderSweepReport(report(), '/stage').blocks)).toEqual([]);
  });
});

describe('renderReapResult', () => {
  const base: SweepReport = {
    sweepId: 9, startedAt: NOW, finishedAt: NOW, mode: 'reap', confirmed: true, regions: ['eu-west-1'], complete: true, unswept: [], accountRefused: null, awsCalls: 12, minimumCalls: 10,
    orphans: [], totalsByKind: {}, dailyCostUsd: 0, accruedCostUsd: 0, unpriced: [], marked: 0, unmarked: 0, dueCount: 3, reaped: [],
    skipped: [], reapedSinceLastReport: [], drift: [], needsConfirmation: false, limit: 2, errors: [],
  };

  it('names who pressed it, what was reaped and what it had cost, and what was left alone and why, escaped', () => {
    const msg = renderReapResult(
      {
        ...base,
        reaped: [
          { kind: 'instance', id: 'i-1', region: 'eu-west-1', runId: null, costUsd: 10.5, with: [] },
          { kind: 'image', id: 'ami-1', region: 'eu-west-1', runId: null, costUsd: 2, with: ['snap-1'] },
        ],
        skipped: [{ kind: 'volume', id: 'vol-1', region: 'eu-west-1', reason: 'now carries <protect> & is kept' }],
      },
      'slack:U0ADMIN',
      '/stage',
    );
    const text = blockText(msg.blocks);
    expect(text).toContain('*Reap now* by <@U0ADMIN>: reaped *2* assets, which had cost $12.50 while orphaned');
    expect(text).toContain('• instance `i-1` (eu-west-1) — $10.50');
    expect(text).toContain('• image `ami-1` (eu-west-1) — $2.00, with `snap-1`');
    expect(text).toContain(':warning: left 1 alone:\n• volume `vol-1` (eu-west-1) — now carries &lt;protect&gt; &amp; is kept');
    expect(text).toContain('no orphaned assets are left');
    expect(msg.text).toBe('Reap now: reaped 2 assets ($12.50)');
  });

  it('says when nothing was due any more, and lists at most 20 with a count of the rest', () => {
    expect(blockText(renderReapResult({ ...base, dueCount: 0 }, 'slack:U0ADMIN', '/stage').blocks)).toContain('nothing was reaped (no orphan is past its grace period any more)');
    const many = Array.from({ length: 23 }, (_, i) => ({ kind: 'key-pair' as const, id: `key-${i}`, region: 'eu-west-1', runId: null, costUsd: 0, with: [] }));
    const text = blockText(renderReapResult({ ...base, reaped: many }, 'slack:U0ADMIN', '/stage').blocks);
    expect(text).toContain('`key-19`');
    expect(text).not.toContain('`key-20`');
    expect(text).toContain('… and 3 more');
  });
});
