// Time as the core sees it. Injected so tests move time instead of waiting for it.

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep: Sleep;
}

/**
 * A wait that a cancel cuts short, rejecting with the signal's own reason (node:timers/promises
 * wraps it in a generic AbortError, and a cancel would then read like any other failure).
 */
export const abortableSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: abortableSleep,
};
