// The few routes stagebot's one HTTP server answers besides the fronts.
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A chat front mounted on the server, or the reason it is not (a missing secret). */
export type Front =
  | { name: string; path: string; enabled: true; handler: Handler }
  | { name: string; path: string; enabled: false; reason: string };

/** A route for every path under `prefix` (which ends in `/`). */
export interface PrefixRoute {
  prefix: string;
  name: string;
  handler: Handler;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
