// A browser job stops when the run is cancelled or when its own maxWait runs out; the result
// must say which of the two happened (`cancelled` or `timed-out`), so the deadline is kept
// apart from the caller's signal instead of being merged with AbortSignal.any.

/** Node's timers overflow past this (about 24.8 days) and would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

export interface JobDeadline {
  /** Aborted by the caller's signal or by the deadline, whichever comes first. */
  readonly signal: AbortSignal;
  /** True once the deadline (not the caller) aborted the job. */
  readonly timedOut: boolean;
  /** Stops the timer and detaches from the caller's signal. */
  dispose(): void;
}

export function startJobDeadline(outer: AbortSignal, maxWaitMs: number): JobDeadline {
  const controller = new AbortController();
  let timedOut = false;
  const onOuterAbort = () => controller.abort(outer.reason);
  const timer = setTimeout(
    () => {
      if (controller.signal.aborted) return;
      timedOut = true;
      controller.abort(new DOMException(`no result after ${maxWaitMs} ms`, 'TimeoutError'));
    },
    Math.min(Math.max(0, maxWaitMs), MAX_TIMER_MS),
  );
  if (outer.aborted) onOuterAbort();
  else outer.addEventListener('abort', onOuterAbort, { once: true });
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    dispose() {
      clearTimeout(timer);
      outer.removeEventListener('abort', onOuterAbort);
    },
  };
}
