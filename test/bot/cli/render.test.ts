// How the CLI shows a run: the dead man's switch while the run is up, the one line of a run that
// created nothing.
import { describe, expect, it } from 'vitest';
import { renderResult, renderRunDocument, tornDownLine, waitingText, type RunDocument } from '../../../src/bot/cli/render.ts';
import type { Run } from '../../../src/domain/run.ts';
import type { CliRunView as RunView } from '../../../src/bot/cli/render.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const FIRES = '2026-11-21T15:15:00.000Z';

function run(over: Partial<Run> = {}): Run {
  return {
    kind: 'launch', id: 'stg1-20261121-a1b2c3', env: 'stg1', state: 'running', requester: 'cli:alice', source: 'cli', options: { browsers: ['chrome'] },
    createdAt: NOW, startedAt: NOW, finishedAt: null, expiresAt: new Date('2026-11-21T15:00:00Z'), leaseOwner: null, leaseHeartbeatAt: null, error: null, cancelRequestedBy: null, cancelReason: null, concurrencyKey: null, leaseEpoch: 0, handoverFrom: null,
    ...over,
  };
}

function view(over: Partial<RunView> = {}): RunView {
  return { run: run(), timings: [{ step: 'launch', state: 'succeeded', durationMs: 1_000 }], browsers: [], cost: { usd: 0.1, lines: [], unknown: [] }, assets: [], deadManSwitch: null, ...over };
}

function doc(over: Partial<RunDocument> = {}): RunDocument {
  return {
    runId: 'stg1-20261121-a1b2c3', kind: 'launch', env: 'stg1', state: 'kept', error: null, requestedBy: 'cli:alice', startedAt: NOW.toISOString(), finishedAt: null,
    keptUntil: '2026-11-21T15:00:00.000Z', steps: [{ step: 'launch', state: 'succeeded', durationMs: 1_000 }], browsers: [],
    assets: [{ kind: 'instance', id: 'i-1', region: 'eu-west-1', createdAt: NOW.toISOString(), deletedAt: null }], cost: { usd: 0.1, lines: [], unknown: [] }, deadManSwitch: null,
    ...over,
  };
}

const LINE = `dead man's switch: armed; the host powers itself off at ${FIRES} unless stagebot moves it`;

describe('CLI run rendering', () => {
  it("status shows when the host's dead man's switch fires, when it is armed", () => {
    expect(renderResult({ kind: 'run', view: view({ deadManSwitch: { firesAt: FIRES } }) }).split('\n')).toContain(LINE);
    expect(renderResult({ kind: 'run', view: view() })).not.toContain('dead man');
  });

  it('a kept run launched in the foreground ends with its switch', () => {
    expect(renderRunDocument(doc({ deadManSwitch: { firesAt: FIRES } })).split('\n').at(-1)).toBe(LINE);
  });

  it('a run that stopped before its first step is its headline alone; one that created nothing says so', () => {
    const stopped = doc({ state: 'failed', keptUntil: null, error: 'no AWS credentials found (…); nothing was created', steps: [{ step: 'launch', state: 'pending', durationMs: null }, { step: 'teardown', state: 'skipped', durationMs: 0 }], assets: [] });
    expect(renderRunDocument(stopped)).toBe('run stg1-20261121-a1b2c3 on stg1: failed — no AWS credentials found (…); nothing was created');
    const ranButMadeNothing = doc({ state: 'failed', keptUntil: null, error: 'launch failed: no capacity', steps: [{ step: 'launch', state: 'failed', durationMs: 1_000 }], assets: [] });
    expect(renderRunDocument(ranButMadeNothing).split('\n').at(-1)).toBe('nothing was created');
  });

  it("a succeeded promotion's copies are its release, kept: not reported as left behind", () => {
    const img = (id: string, region: string, deletedAt: string | null) => ({ kind: 'image', id, region, createdAt: NOW.toISOString(), deletedAt });
    const promotion = doc({ kind: 'promote', state: 'succeeded', keptUntil: null, finishedAt: NOW.toISOString(), assets: [img('ami-1', 'eu-west-1', null), img('ami-2', 'us-east-1', NOW.toISOString())] });
    expect(renderRunDocument(promotion).split('\n').slice(-2)).toEqual(['kept: image ami-1 (eu-west-1) — the release the manifest names', 'all 1 other assets torn down']);
    expect(renderRunDocument({ ...promotion, state: 'failed' }).split('\n').at(-1)).toBe('NOT torn down: image ami-1 (the sweeper will find them by tag)');
  });

  it('a queued launch names the lock it waits for: the holder, why, since when (UTC); or the run using it', () => {
    const since = new Date('2026-11-21T10:02:00Z');
    expect(waitingText([{ env: 'stg2', holder: 'cli:alice', holderKind: 'person', reason: 'db migration', sticky: true, since }])).toBe('stg2 is locked by cli:alice since 2026-11-21 10:02 UTC (db migration)');
    expect(waitingText([{ env: 'stg2', holder: 'stg2-20261121-ffffff', holderKind: 'run', reason: null, sticky: false, since }])).toBe('stg2 is in use by run stg2-20261121-ffffff since 2026-11-21 10:02 UTC');
    expect(waitingText([])).toBeNull();
  });

  it('teardown and cancel end saying whether the environment is gone', () => {
    const asset = (deletedAt: Date | null) => ({ runId: 'r', kind: 'instance' as const, id: 'i-1', region: 'us-east-1', createdAt: NOW, deletedAt });
    expect(tornDownLine({ run: run({ state: 'succeeded' }), assets: [asset(NOW), { ...asset(NOW), kind: 'volume', id: 'vol-1' }] })).toBe('run stg1-20261121-a1b2c3 is torn down: all 2 assets deleted (it ended succeeded)');
    expect(tornDownLine({ run: run({ state: 'cancelled' }), assets: [asset(null)] })).toBe(
      'run stg1-20261121-a1b2c3 ended cancelled but is NOT fully torn down; still there: instance i-1 (the sweeper will find them by their tags)',
    );
    expect(tornDownLine({ run: run({ state: 'cancelled' }), assets: [] })).toBe('run stg1-20261121-a1b2c3 ended cancelled; it had created nothing, so nothing was left to tear down');
    expect(tornDownLine({ run: run({ state: 'tearing_down' }), assets: [] })).toContain('its teardown goes on in the process driving it');
  });
});

describe('assets <run>', () => {
  it('shows what each asset cost and the total, naming what could not be priced', () => {
    const text = renderResult({
      kind: 'assets',
      runId: 'stg1-20261121-a1b2c3',
      assets: [
        { kind: 'instance', id: 'i-0123', region: 'eu-west-1', state: 'deleted', createdAt: NOW, deletedAt: NOW, costUsd: 0.7296 },
        { kind: 'volume', id: 'vol-0123', region: 'eu-west-1', state: 'live', createdAt: NOW, deletedAt: null, costUsd: null },
        { kind: 'security-group-rule', id: 'sgr-0123', region: 'eu-west-1', state: 'deleted', createdAt: NOW, deletedAt: NOW, costUsd: 0 },
      ],
      cost: { usd: 0.7296, unknown: ['volume vol-0123'] },
    });
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^ {2}instance +i-0123 +eu-west-1 +deleted 2026-11-21T12:00:00\.000Z +\$0\.73$/);
    expect(lines[2]).toMatch(/^ {2}volume +vol-0123 +eu-west-1 +live +unknown$/);
    expect(lines[3]).toMatch(/ \$0\.00$/);
    expect(lines[4]).toMatch(/^ {2}total +\$0\.73 \(not priced: volume vol-0123\)$/);
  });
});
