// One more layer of patience for the calls that must not give up easily (teardown): the SDK's adaptive
// retry already retried a throttled call; when it still fails throttled, wait a little and try again.
import { isThrottle } from '../../../aws/errors.ts';
import type { Clock } from '../../../domain/clock.ts';

/** Pauses before the extra attempts; bounded, so a permanently throttled call still ends. */
const BACKOFF_MS = [2_000, 5_000, 10_000];

export async function retryThrottled<T>(clock: Clock, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const pause = BACKOFF_MS[attempt];
      if (!isThrottle(err) || pause === undefined) throw err;
      await clock.sleep(pause, signal);
    }
  }
}
