// A fake API server for a test: plain node:http on 127.0.0.1, a free port, and a stop that also ends
// kept-alive connections (an SDK's agent would otherwise hold `close` open until its idle timeout).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LocalHttp {
  url: string;
  stop(): Promise<void>;
}

export async function startLocalHttp(handle: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): Promise<LocalHttp> {
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
