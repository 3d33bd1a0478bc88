// The words every front uses for what a run is expected to cost and when a queued run starts, so a
// Slack thread, a pull request and a terminal say the same thing ("position 2 · starts in ~12 min",
// "≈ $0.36/h; with keep=8h ≈ $2.90"). Plain text: each front escapes it for its own markup.
import { formatUsd } from '../cost/estimate.ts';
import type { CostEstimate } from '../cost/launch-estimate.ts';
import type { RunCost } from '../cost/run-cost.ts';
import { formatDuration } from '../domain/duration.ts';

/** `~12 min`, `~1h30m`: an estimate, rounded as one. */
export function aboutDuration(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  return minutes < 90 ? `~${minutes} min` : `~${formatDuration(minutes * 60_000)}`;
}

/** `position 2 · starts in ~12 min`; without an estimate, why not. */
export function queueText(position: number, etaMs: number | null, heldBy: string | null = null): string {
  if (heldBy) return `position ${position} · starts when ${heldBy} unlocks it`;
  if (etaMs === null) return `position ${position} · no recent runs to estimate from`;
  return `position ${position} · ${etaMs < 30_000 ? 'starts any moment' : `starts in ${aboutDuration(etaMs)}`}`;
}

/** A queued run's place as a RunView has it (a person's lock on what it waits for: until they unlock it); null when not queued. */
export function viewQueueText(v: { run: { state: string }; queuePosition: number | null; queueEtaMs?: number | null | undefined; waitingFor?: readonly { holder: string; holderKind: string }[] | undefined }): string | null {
  if (v.run.state !== 'queued' || v.queuePosition === null) return null;
  const person = v.waitingFor?.find((l) => l.holderKind === 'person');
  return queueText(v.queuePosition, v.queueEtaMs ?? null, person?.holder ?? null);
}

/** `≈ $0.36/h; with keep=8h ≈ $2.90`, `≈ $0.36/h; a usual run (~45 min) ≈ $0.27`, or why there is no figure. */
export function estimateText(e: CostEstimate): string {
  if (e.hourlyUsd === null) return `cost unknown (${e.unknown.join('; ')})`;
  const rate = `≈ ${formatUsd(e.hourlyUsd)}/h`;
  if (e.expectedUsd === null) return rate;
  if (e.keepMs > 0) return `${rate}; with keep=${formatDuration(e.keepMs)} ≈ ${formatUsd(e.expectedUsd)}${e.runMs === null ? ' or more' : ''}`;
  return `${rate}; a usual run (${aboutDuration(e.runMs ?? 0)}) ≈ ${formatUsd(e.expectedUsd)}`;
}

/** `$0.31 (expected ≈ $0.29)`: what it cost, beside what was said at launch. */
export function actualCostText(cost: Pick<RunCost, 'usd'>, e: CostEstimate | null | undefined): string {
  const actual = formatUsd(cost.usd);
  return e?.expectedUsd !== null && e?.expectedUsd !== undefined ? `${actual} (expected ≈ ${formatUsd(e.expectedUsd)})` : actual;
}

/** A timing row's note: `usual 4m10s`, `usual 4m10s · 2.6× slower than usual`. */
export function usualText(t: { durationMs: number | null; usualMs?: number | null | undefined; slow?: boolean | undefined }): string {
  if (t.usualMs === null || t.usualMs === undefined) return '';
  const usual = `usual ${formatDuration(t.usualMs)}`;
  if (!t.slow || t.durationMs === null) return usual;
  return `${usual} · ${(t.durationMs / Math.max(1, t.usualMs)).toFixed(1)}× slower than usual`;
}
