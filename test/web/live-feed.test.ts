// The live feed's bookkeeping over real HTTP on 127.0.0.1: a bounded number of streams, one listener on
// the event bus however many pages are open (and none once they close), each page getting the events
// it follows and no log lines, heartbeats, and every stream ended when the server stops.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineEvent, EventListener } from '../../src/commands/events.ts';
import { LiveFeed } from '../../src/web/dashboard/live.ts';

class Bus {
  readonly listeners = new Set<EventListener>();
  subscribe = (l: EventListener) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  emit(e: Partial<EngineEvent> & { runId: string; type: EngineEvent['type'] }) {
    for (const l of this.listeners) l({ at: new Date('2026-11-21T10:00:00Z'), ...e } as EngineEvent);
  }
}

interface Stream {
  status: number;
  text(): string;
  /** Resolves once the stream's text contains `needle` (bounded). */
  until(needle: string): Promise<void>;
  close(): void;
  ended: Promise<void>;
}

async function open(url: string): Promise<Stream> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  let text = '';
  const waiters: (() => void)[] = [];
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        text += decoder.decode(chunk as Uint8Array);
        for (const w of waiters.splice(0)) w();
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: res.status,
    text: () => text,
    async until(needle) {
      const deadline = Date.now() + 5_000;
      while (!text.includes(needle)) {
        if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(needle)} in ${JSON.stringify(text)}`);
        await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 50))]);
      }
    },
    close: () => controller.abort(),
    ended,
  };
}

describe('LiveFeed', () => {
  let server: Server | null = null;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = null;
  });

  async function serve(feed: LiveFeed): Promise<string> {
    server = createServer((req, res) => {
      const run = new URL(req.url ?? '/', 'http://x').searchParams.get('run');
      if (!feed.open(req, res, run)) res.writeHead(503).end('full');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/live`;
  }

  it('sends each page the events it follows, never log lines, with one bus listener for all pages', async () => {
    const bus = new Bus();
    const feed = new LiveFeed(bus.subscribe, { maxConnections: 5 });
    const url = await serve(feed);
    const all = await open(url);
    const one = await open(`${url}?run=stg1-20261121-aaaaaa`);
    await all.until(': connected');
    await one.until(': connected');
    expect(all.status).toBe(200);
    expect(bus.listeners.size).toBe(1);

    bus.emit({ runId: 'stg1-20261121-aaaaaa', type: 'step.log', step: 'tests', line: 'secret-ish output' } as never);
    bus.emit({ runId: 'stg2-20261121-bbbbbb', type: 'step.started', step: 'launch' } as never);
    bus.emit({ runId: 'stg1-20261121-aaaaaa', type: 'step.started', step: 'tests' } as never);
    await all.until('"step":"tests"');
    await one.until('"step":"tests"');
    expect(all.text()).toContain('"runId":"stg2-20261121-bbbbbb"');
    expect(one.text()).not.toContain('stg2-20261121-bbbbbb');
    expect(all.text() + one.text()).not.toContain('secret-ish output');
    expect(one.text()).toMatch(/event: run\ndata: \{"runId":"stg1-20261121-aaaaaa","type":"step.started","at":"2026-11-21T10:00:00.000Z","step":"tests"\}\n\n/);

    all.close();
    one.close();
    await Promise.all([all.ended, one.ended]);
    for (let i = 0; i < 100 && feed.connections > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(feed.connections).toBe(0);
    expect(bus.listeners.size).toBe(0);
  });

  it('refuses streams past the limit, sends heartbeats, and ends every stream on close()', async () => {
    const bus = new Bus();
    const feed = new LiveFeed(bus.subscribe, { maxConnections: 2, heartbeatMs: 20 });
    const url = await serve(feed);
    const a = await open(url);
    const b = await open(url);
    const c = await open(url);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 503]);
    await a.until(': ping');
    feed.close();
    await Promise.all([a.ended, b.ended]);
    expect(feed.connections).toBe(0);
    expect(bus.listeners.size).toBe(0);
  });
});
