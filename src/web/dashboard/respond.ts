// How the dashboard answers: security headers on everything (helmet: a CSP that allows no inline
// script or style and nothing from other origins, no framing, no sniffing, no referrer across sites),
// gzip where the browser takes it, and no caching of pages (they carry the viewer and form tokens).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import helmet from 'helmet';
import type { Html } from './html.ts';

export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Helmet with the dashboard's policy; `https`: the dashboard is served over TLS (HSTS, upgrade). */
export function securityHeaders(https: boolean): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const mw = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'font-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        ...(https ? { 'upgrade-insecure-requests': [] } : {}),
      },
    },
    strictTransportSecurity: https ? { maxAge: 15_552_000, includeSubDomains: false } : false,
    referrerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
  }) as Middleware;
  return (req, res) => new Promise<void>((resolve, reject) => mw(req, res, (err) => (err ? reject(err) : resolve())));
}

function acceptsGzip(req: IncomingMessage): boolean {
  return /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
}

export function sendBody(req: IncomingMessage, res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string>): void {
  let data = typeof body === 'string' ? Buffer.from(body) : body;
  const out: Record<string, string | number> = { ...headers, vary: 'accept-encoding' };
  if (data.length > 1_000 && acceptsGzip(req)) {
    data = gzipSync(data);
    out['content-encoding'] = 'gzip';
  }
  out['content-length'] = data.length;
  res.writeHead(status, out);
  res.end(req.method === 'HEAD' ? undefined : data);
}

export function sendPage(req: IncomingMessage, res: ServerResponse, status: number, page: Html): void {
  sendBody(req, res, status, `<!doctype html>\n${page.text}`, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
}

export function redirect(res: ServerResponse, location: string, status = 303): void {
  res.writeHead(status, { location, 'cache-control': 'no-store', 'content-length': 0 });
  res.end();
}
