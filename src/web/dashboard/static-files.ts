// The dashboard's one stylesheet and one script, read once at start. Their URLs carry a hash of the
// content, so browsers may keep them for a year and still never run an old script after an upgrade.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendBody } from './respond.ts';

interface Asset {
  body: Buffer;
  type: string;
  hash: string;
}

const FILES = { 'app.css': 'text/css; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8' } as const;
export type AssetName = keyof typeof FILES;

export class StaticFiles {
  readonly #assets = new Map<string, Asset>();

  constructor(dir = new URL('./assets/', import.meta.url)) {
    for (const [name, type] of Object.entries(FILES)) {
      const body = readFileSync(new URL(name, dir));
      this.#assets.set(name, { body, type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
    }
  }

  /** `/assets/app.css?v=<hash>`. */
  url(name: AssetName): string {
    return `/assets/${name}?v=${this.#assets.get(name)!.hash}`;
  }

  /** Answers `/assets/<name>`; false when there is no such file. */
  serve(req: IncomingMessage, res: ServerResponse, name: string): boolean {
    const asset = this.#assets.get(name);
    if (!asset) return false;
    const etag = `"${asset.hash}"`;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return true;
    }
    sendBody(req, res, 200, asset.body, { 'content-type': asset.type, etag, 'cache-control': 'public, max-age=31536000, immutable' });
    return true;
  }
}
