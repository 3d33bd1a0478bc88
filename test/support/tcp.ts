// Small TCP servers on 127.0.0.1 that stand in for a host that is not ready yet.

import { createServer, connect, type Server, type Socket } from 'node:net';

export interface Listening {
  port: number;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>, port = 0): Promise<Listening> {
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Accepts connections and never says a word: a host whose sshd hangs before its banner. */
export function startSilentServer(): Promise<Listening> {
  const sockets = new Set<Socket>();
  return listen(createServer(() => undefined), sockets);
}

/** Forwards `port` (or a free one) to `targetPort`: sshd "coming up" on a port that was closed. */
export function startForwarder(targetPort: number, port = 0): Promise<Listening> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return listen(server, sockets, port);
}
