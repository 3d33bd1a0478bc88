// One synchronous stretch per turn of the event loop. The store is synchronous on SQLite: jobs
// released together would run their stretches back to back and hold every waiting request's ack
// behind all of them. Each `next()` resolves one loop turn after the previous one did, so the poll
// phase (new requests, their acks) runs between any two jobs' starts.
import { setImmediate } from 'node:timers/promises';

export class Turns {
  private last: Promise<void> = Promise.resolve();

  next(): Promise<void> {
    const turn = this.last.then(() => setImmediate());
    this.last = turn;
    return turn;
  }
}
