// Which network a request comes from. Behind a trusted reverse proxy the client is the address the
// proxy names in X-Forwarded-For (proxy-addr, as Express reads it); from anyone else that header is
// ignored, so nobody can claim to be on loopback by writing it.
import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

export type NetworkMatcher = (address: string) => boolean;

/** Whether an address is in one of `networks` (IPv4/IPv6 CIDRs or single addresses; IPv4-mapped IPv6 counts as IPv4). */
export function networkMatcher(networks: readonly string[]): NetworkMatcher {
  if (networks.length === 0) return () => false;
  const trust = proxyAddr.compile([...networks]);
  return (address) => trust(address, 0);
}

/** The requesting client's address: the socket's, or what trusted proxies say it was. */
export function clientAddress(req: IncomingMessage, trustedProxies: NetworkMatcher): string {
  return proxyAddr(req, (addr) => trustedProxies(addr));
}

/** The socket's own peer: the proxy itself when there is one. */
export function peerAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? '';
}
