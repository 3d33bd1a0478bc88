// About when queued runs start: after each environment's current run has taken a typical run's time.
import { describe, expect, it } from 'vitest';
import type { Board } from '../../src/commands/executor.ts';
import type { Run } from '../../src/domain/run.ts';
import { queueEtas, typicalRunMs } from '../../src/web/dashboard/eta.ts';

const NOW = new Date('2026-11-21T10:00:00Z');
const MIN = 60_000;

function run(id: string, over: Partial<Run> = {}): Run {
  return {
    kind: 'launch', id, env: 'stg1', state: 'queued', requester: 'slack:U1', source: 'slack', options: { browsers: ['chrome'] }, createdAt: NOW, startedAt: null, finishedAt: null,
    expiresAt: null, leaseOwner: null, leaseHeartbeatAt: null, error: null, cancelRequestedBy: null, cancelReason: null, concurrencyKey: null, leaseEpoch: 0, handoverFrom: null, ...over,
  };
}
const finished = (id: string, minutes: number) => run(id, { state: 'succeeded', startedAt: new Date(NOW.getTime() - 5 * 60 * MIN), finishedAt: new Date(NOW.getTime() - 5 * 60 * MIN + minutes * MIN) });

function board(over: Partial<Board>): Board {
  return { environments: [], queue: [], recent: [], orphans: null, sweepIncomplete: null, now: NOW, ...over };
}

describe('queue ETAs', () => {
  it('the typical run is the median of the last day\'s finished runs', () => {
    expect(typicalRunMs(board({ recent: [finished('a', 30), finished('b', 40), finished('c', 90), run('q')] }))).toBe(40 * MIN);
    expect(typicalRunMs(board({ recent: [run('q')] }))).toBeNull();
  });

  it('queued runs take the environment in turn; a pool run the first one free; a person\'s lock means no telling', () => {
    const b = board({
      environments: [
        { env: 'stg1', region: 'eu-west-1', lock: null, run: run('r1', { state: 'running', startedAt: new Date(NOW.getTime() - 10 * MIN) }) },
        { env: 'stg2', region: 'eu-west-1', lock: { env: 'stg2', holder: 'slack:U9', holderKind: 'person', reason: 'demo', sticky: true, since: NOW }, run: null },
      ],
      queue: [run('q1'), run('q2'), run('q3', { env: null, options: { browsers: ['chrome'], pool: ['stg1', 'stg2'] } }), run('q4', { env: 'stg2' })],
    });
    const etas = queueEtas(b, 40 * MIN);
    const at = (id: string) => etas.get(id)?.getTime() ?? null;
    expect(at('q1')).toBe(NOW.getTime() + 30 * MIN);
    expect(at('q2')).toBe(NOW.getTime() + 70 * MIN);
    expect(at('q3')).toBe(NOW.getTime() + 110 * MIN);
    expect(at('q4')).toBeNull();
    expect([...queueEtas(b, null).values()]).toEqual([null, null, null, null]);
  });
});
