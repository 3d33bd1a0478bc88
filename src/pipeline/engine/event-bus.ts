// The engine's event bus: every event goes to the listeners (the fronts, through src/commands) at once,
// and into the run's timeline in the store, in emission order, so a front that starts late (or another
// replica) can replay it.
import type { Clock } from '../../domain/clock.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Store } from '../../store/index.ts';
import type { EngineEvent, EventListener, RunEventBody } from '../events.ts';

export class EventBus {
  private readonly listeners = new Set<EventListener>();
  /** Appends of one run's events, chained so the timeline keeps emission order on every backend. */
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly store: Pick<Store, 'appendEvent'>;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(deps: { store: Pick<Store, 'appendEvent'>; clock: Clock; logger: Logger }) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = deps.logger;
  }

  on(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes a run event and appends it to the run's timeline. */
  emit(runId: string, body: RunEventBody): void {
    const at = this.clock.now();
    this.publish({ ...body, runId, at } as EngineEvent);
    // The timeline is best effort: a store hiccup must not stop a run (the run's state is what counts).
    const previous = this.chains.get(runId) ?? Promise.resolve();
    const next = previous
      .then(() => this.store.appendEvent(runId, body.type, body as unknown as Record<string, unknown>, at))
      .catch((err) => this.logger.warn({ err, runId, type: body.type }, 'could not store run event'));
    this.chains.set(runId, next);
    void next.finally(() => {
      if (this.chains.get(runId) === next) this.chains.delete(runId);
    });
  }

  /** One line of a step's output: to the listeners only (the run log is streamed, not stored). */
  emitLog(runId: string, step: string, line: string): void {
    this.logger.debug({ runId, step }, line);
    this.publish({ type: 'step.log', step, line, runId, at: this.clock.now() });
  }

  /** Resolves once every event emitted so far is in the store's timeline. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.chains.values()]);
  }

  private publish(event: EngineEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.logger.warn({ err }, 'event listener failed');
      }
    }
  }
}
