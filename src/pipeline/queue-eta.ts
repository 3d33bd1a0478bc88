// When a queued run may start: the one place the estimate is made, so a better model (issue 14: step
// history, pool members) replaces this function and nothing else.

export interface QueueEtaInput {
  /** 1-based place in the queue. */
  position: number;
  /** How long recent runs of the environment took from start to finish (ms), newest first. */
  recentDurationsMs: readonly number[];
  /** How long the run now holding the environment has been going (ms); null when none does. */
  currentElapsedMs: number | null;
  /** A person holds the environment (a sticky lock): nothing starts before they unlock it. */
  heldByPerson: boolean;
}

/** Milliseconds until the run should start, or null when there is nothing to go by. */
export function estimateQueueWait(input: QueueEtaInput): number | null {
  if (input.heldByPerson || input.recentDurationsMs.length === 0) return null;
  const sorted = [...input.recentDurationsMs].sort((a, b) => a - b);
  const p50 = sorted[Math.floor((sorted.length - 1) / 2)]!;
  const current = input.currentElapsedMs === null ? 0 : Math.max(0, p50 - input.currentElapsedMs);
  return current + Math.max(0, input.position - 1) * p50;
}
