// Slack's side of a Socket Mode connection: the URL apps.connections.open hands out, a `hello` on
// connect, envelopes sent to the app, and the acks it sends back.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface Ack {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export interface FakeSocketMode {
  url: string;
  /** Resolves when the app has connected (and got its hello). */
  connected(): Promise<void>;
  /** Sends an envelope and resolves with the app's ack (bounded). */
  send(type: 'slash_commands' | 'interactive' | 'events_api', payload: Record<string, unknown>, withinMs?: number): Promise<Ack>;
  close(): Promise<void>;
}

export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let socket: WebSocket | null = null;
  let onConnect: (() => void) | null = null;
  const connectedOnce = new Promise<void>((resolve) => (onConnect = resolve));
  const waiting = new Map<string, (ack: Ack) => void>();
  let seq = 0;

  server.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as Ack;
      waiting.get(msg.envelope_id)?.(msg);
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0STAGEBOT' } }));
    onConnect?.();
  });

  return {
    url: `ws://127.0.0.1:${port}/link/?ticket=fake`,
    connected: () => connectedOnce,
    send(type, payload, withinMs = 5_000) {
      seq += 1;
      const envelopeId = `env-${seq}`;
      return new Promise<Ack>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ack for ${envelopeId} within ${withinMs} ms`)), withinMs);
        waiting.set(envelopeId, (ack) => {
          clearTimeout(timer);
          resolve(ack);
        });
        if (!socket) return reject(new Error('no Socket Mode connection'));
        socket.send(JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' }));
      });
    },
    async close() {
      for (const c of server.clients) c.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
