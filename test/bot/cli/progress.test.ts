// What a foreground launch shows on stderr: warnings a person must see (not only at debug level),
// and a cancelled step as cancelled.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { attachProgress, describeEvent } from '../../../src/bot/cli/progress.ts';
import type { EngineEvent, EventListener } from '../../../src/commands/events.ts';

const AT = new Date('2026-11-21T10:00:05Z');
const RUN = 'stg1-20261121-a1b2c3';

function feed() {
  const listeners: EventListener[] = [];
  return {
    stepNames: ['launch', 'register', 'tests', 'teardown'],
    onEvent(l: EventListener) {
      listeners.push(l);
      return () => void listeners.splice(listeners.indexOf(l), 1);
    },
    emit(e: EngineEvent) {
      for (const l of listeners) l(e);
    },
  };
}

describe('CLI progress', () => {
  it('prints a step warning and a cancelled step in a pipe, with the time and the run', () => {
    const f = feed();
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (c: Buffer) => chunks.push(c.toString()));
    const detach = attachProgress(f, null, out);
    f.emit({ type: 'step.warning', step: 'launch', message: 'no t3.2xlarge capacity in subnet-a (InsufficientInstanceCapacity); trying subnet-b', runId: RUN, at: AT });
    f.emit({ type: 'step.cancelled', step: 'tests', durationMs: 3_000, by: 'cli:alice', reason: null, runId: RUN, at: AT });
    detach();
    expect(chunks.join('')).toBe(
      `10:00:05 ${RUN} launch: no t3.2xlarge capacity in subnet-a (InsufficientInstanceCapacity); trying subnet-b\n` + `10:00:05 ${RUN} tests cancelled after 3.0s\n`,
    );
  });

  it('says a retest was interrupted and the environment stays kept', () => {
    expect(describeEvent({ type: 'run.retest-interrupted', reason: 'its process (cli:a) stopped', until: '2026-11-21T12:00:00.000Z', runId: RUN, at: AT })).toBe(
      `retest interrupted (its process (cli:a) stopped): its tests step ended interrupted; the environment is still kept until 2026-11-21T12:00:00.000Z; \`retest ${RUN}\` runs them again`,
    );
  });

  it('says why a cancel was asked when it was said', () => {
    expect(describeEvent({ type: 'run.cancel-requested', by: 'github:octocat', reason: 'the pull request was closed', runId: RUN, at: AT })).toBe('cancel requested by github:octocat (the pull request was closed)');
  });
});
