// Live updates for open pages: the engine's events as server-sent events. One listener on the event
// bus serves every open page; each page follows everything (the board) or one run. Connections are
// bounded (more get 503 and the browser retries later), kept alive by a comment line every 25 s,
// dropped when their reader falls too far behind, and all ended when the server stops.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineEvent, EventListener } from '../../commands/events.ts';

export const HEARTBEAT_MS = 25_000;
/** A page that stopped reading gets this much queued before it is dropped. */
const MAX_BUFFERED = 256 * 1024;

interface Client {
  res: ServerResponse;
  run: string | null;
}

/** What a page needs of an event: which run, what happened, to which step. Log lines are not sent. */
function payload(e: EngineEvent): string | null {
  if (e.type === 'step.log') return null;
  const body: Record<string, unknown> = { runId: e.runId, type: e.type, at: e.at.toISOString() };
  if ('step' in e) body.step = e.step;
  if (e.type === 'run.finished') body.state = e.state;
  return JSON.stringify(body);
}

export class LiveFeed {
  readonly #clients = new Set<Client>();
  readonly #subscribe: (listener: EventListener) => () => void;
  readonly #max: number;
  readonly #heartbeatMs: number;
  #unsubscribe: (() => void) | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #nextId = 1;

  constructor(subscribe: (listener: EventListener) => () => void, opts: { maxConnections: number; heartbeatMs?: number }) {
    this.#subscribe = subscribe;
    this.#max = opts.maxConnections;
    this.#heartbeatMs = opts.heartbeatMs ?? HEARTBEAT_MS;
  }

  get connections(): number {
    return this.#clients.size;
  }

  /** Starts the stream for one page; false when the limit is reached (the caller answers 503). */
  open(req: IncomingMessage, res: ServerResponse, run: string | null): boolean {
    if (this.#clients.size >= this.#max) return false;
    const client: Client = { res, run };
    this.#clients.add(client);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // Proxies (nginx) would otherwise hold the events back.
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 5000\n: connected\n\n`);
    const drop = () => this.#drop(client);
    req.once('close', drop);
    res.once('close', drop);
    res.once('error', drop);
    this.#unsubscribe ??= this.#subscribe((e) => this.#publish(e));
    this.#heartbeat ??= setInterval(() => this.#ping(), this.#heartbeatMs).unref();
    return true;
  }

  /** Ends every stream (the server is stopping). */
  close(): void {
    for (const c of [...this.#clients]) {
      c.res.end();
      this.#drop(c);
    }
  }

  #publish(e: EngineEvent): void {
    const data = payload(e);
    if (data === null) return;
    const frame = `id: ${this.#nextId++}\nevent: run\ndata: ${data}\n\n`;
    for (const c of this.#clients) if (c.run === null || c.run === e.runId) this.#write(c, frame);
  }

  #ping(): void {
    for (const c of this.#clients) this.#write(c, ': ping\n\n');
  }

  #write(c: Client, frame: string): void {
    if (c.res.writableLength > MAX_BUFFERED) {
      c.res.destroy();
      this.#drop(c);
      return;
    }
    c.res.write(frame);
  }

  #drop(c: Client): void {
    if (!this.#clients.delete(c)) return;
    if (this.#clients.size > 0) return;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
  }
}
