// The words of the ETA and the expected cost, as every front shows them.
import { describe, expect, it } from 'vitest';
import { actualCostText, estimateText, queueText, usualText } from '../../src/commands/estimate-text.ts';
import { estimateLaunchCost } from '../../src/cost/launch-estimate.ts';
import { createPrices } from '../../src/cost/prices.ts';

const MIN = 60_000;
const stg = { region: 'us-east-1', instanceType: 't3.2xlarge', rootVolume: { type: 'gp3', sizeGb: 200 }, ssh: { host: '{publicIp}' } };

describe('expected cost', () => {
  it('t3.2xlarge, 200 GB gp3 and a public IPv4 in us-east-1: ≈ $0.36/h; with keep=8h and a usual 3 min run ≈ $2.90', () => {
    const e = estimateLaunchCost(createPrices(), stg, 3 * MIN, 8 * 60 * MIN);
    expect(e.hourlyUsd).toBeCloseTo(0.3328 + 0.005 + (0.08 * 200) / 730, 6);
    expect(estimateText(e)).toBe('≈ $0.36/h; with keep=8h ≈ $2.90');
    expect(actualCostText({ usd: 3.1 }, e)).toBe('$3.10 (expected ≈ $2.90)');
  });

  it('no history: the rate alone, or the keep alone as a floor; an unpriced type says so', () => {
    expect(estimateText(estimateLaunchCost(createPrices(), stg, null, 0))).toBe('≈ $0.36/h');
    expect(estimateText(estimateLaunchCost(createPrices(), stg, null, 60 * MIN))).toBe('≈ $0.36/h; with keep=1h ≈ $0.36 or more');
    expect(estimateText(estimateLaunchCost(createPrices(), stg, 45 * MIN, 0))).toBe('≈ $0.36/h; a usual run (~45 min) ≈ $0.27');
    expect(estimateText(estimateLaunchCost(createPrices(), { ...stg, instanceType: 'x9.huge' }, 45 * MIN, 0))).toBe('cost unknown (no price for x9.huge in us-east-1)');
    expect(actualCostText({ usd: 0.2 }, estimateLaunchCost(createPrices(), stg, null, 0))).toBe('$0.20');
  });
});

describe('queue and timing words', () => {
  it('position 2 · starts in ~12 min', () => {
    expect(queueText(2, 12 * MIN)).toBe('position 2 · starts in ~12 min');
    expect(queueText(1, 10_000)).toBe('position 1 · starts any moment');
    expect(queueText(3, 150 * MIN)).toBe('position 3 · starts in ~2h30m');
    expect(queueText(1, null)).toBe('position 1 · no recent runs to estimate from');
  });

  it('a step against its usual; flagged when over twice as slow', () => {
    expect(usualText({ durationMs: 5 * MIN, usualMs: 4 * MIN, slow: false })).toBe('usual 4m');
    expect(usualText({ durationMs: 10 * MIN, usualMs: 4 * MIN, slow: true })).toBe('usual 4m · 2.5× slower than usual');
    expect(usualText({ durationMs: 10 * MIN })).toBe('');
  });
});
