// Expiring signed links to a run's artifacts, so that a link posted in chat opens in one click with no
// sign-in: `/artifacts/<expires>.<depth>.<signature>/<runId>/<name>`. The signature is an HMAC-SHA256
// (node:crypto) over the expiry and the first `depth` path segments: a file's own path, or a folder's
// (an HTML report), so that the files a page loads relative to itself are covered by the same link.
// A trace opens in the trace viewer stagebot serves itself (`/trace/`), pointed at the trace's
// signed, same-origin URL: no CORS, no login wall.

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Config } from '../config/index.ts';

const DAY_MS = 86_400_000;
/** A key shorter than this is refused (HMAC-SHA256 wants at least its output size). */
export const MIN_LINK_KEY_BYTES = 32;

export const ARTIFACT_ROUTE = '/artifacts/';
export const TRACE_VIEWER_ROUTE = '/trace/';
/** `/artifacts/-/<runId>/<name>`: the same file, unsigned, for whoever the dashboard's access rules let in. */
export const UNSIGNED_TOKEN = '-';

export interface ArtifactLinksOptions {
  key: Buffer;
  /** `https://stagebot.acme.example` (no trailing slash); absent: links are paths. */
  publicUrl?: string | undefined;
  linkTtlMs: number;
  retentionMs: number;
}

/** Where people reach stagebot (`dashboard.publicUrl`) without a trailing slash, or null when not configured. */
export function publicBaseUrl(config: Pick<Config, 'dashboard'>): string | null {
  return config.dashboard.publicUrl ? config.dashboard.publicUrl.replace(/\/+$/, '') : null;
}

export type LinkCheck = { ok: true; runId: string; name: string } | { ok: false; status: 403 | 404 | 410; reason: string };

export class ArtifactLinks {
  readonly #opts: ArtifactLinksOptions;

  constructor(opts: ArtifactLinksOptions) {
    if (opts.key.length < MIN_LINK_KEY_BYTES) throw new Error(`the link signing key has ${opts.key.length} bytes, at least ${MIN_LINK_KEY_BYTES} are needed`);
    this.#opts = opts;
  }

  #mac(expires: number, scope: string): string {
    return createHmac('sha256', this.#opts.key).update(`stagebot-artifact-v1\n${expires}\n${scope}`).digest('base64url');
  }

  /**
   * When a link made `now` for artifacts kept at `keptAt` expires: `linkTtl` from now, rounded up to the
   * next whole day (so a message rendered again today carries the same link), never past retention.
   */
  expiry(now: Date, keptAt: Date): Date {
    const wanted = Math.ceil((now.getTime() + this.#opts.linkTtlMs) / DAY_MS) * DAY_MS;
    return new Date(Math.min(wanted, keptAt.getTime() + this.#opts.retentionMs));
  }

  /**
   * The signed path of `name` in `runId`'s artifacts; with `folder`, the link covers every file under
   * `name`'s folder (the HTML report's data and trace files).
   */
  path(runId: string, name: string, expires: Date, opts: { folder?: boolean } = {}): string {
    const segments = [runId, ...name.split('/')];
    const depth = opts.folder ? segments.length - 1 : segments.length;
    const exp = Math.floor(expires.getTime() / 1000);
    const sig = this.#mac(exp, segments.slice(0, depth).join('/'));
    return `${ARTIFACT_ROUTE}${exp}.${depth}.${sig}/${segments.map(encodeURIComponent).join('/')}`;
  }

  /** The trace viewer page opening the trace at signed path `tracePath`. */
  viewer(tracePath: string): string {
    // The viewer fetches the trace from its own origin; an absolute URL keeps it working from any page.
    return `${TRACE_VIEWER_ROUTE}index.html?trace=${encodeURIComponent(this.absolute(tracePath) ?? tracePath)}`;
  }

  /** `path` on the public URL, or null when no public URL is configured (then chat gets no link). */
  absolute(path: string): string | null {
    return this.#opts.publicUrl ? `${this.#opts.publicUrl}${path}` : null;
  }

  /** `publicUrl + path` when configured, else the path (good within the dashboard). */
  href(path: string): string {
    return this.absolute(path) ?? path;
  }

  /** Checks the part of a request path after `/artifacts/`: `<token>/<runId>/<name...>`. */
  check(rest: string, now: Date): LinkCheck | { ok: 'unsigned'; runId: string; name: string } {
    const [token = '', runId = '', ...nameParts] = rest.split('/').map(safeDecode);
    if (!runId || nameParts.length === 0 || nameParts.some((p) => p === null) || runId === null || token === null) {
      return { ok: false, status: 404, reason: 'no such artifact' };
    }
    const segments = [runId, ...(nameParts as string[])];
    const name = (nameParts as string[]).join('/');
    if (token === UNSIGNED_TOKEN) return { ok: 'unsigned', runId, name };
    const m = /^(\d{1,12})\.(\d{1,2})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!m) return { ok: false, status: 403, reason: 'this link is not a stagebot artifact link' };
    const exp = Number(m[1]);
    const depth = Number(m[2]);
    if (depth < 2 || depth > segments.length) return { ok: false, status: 403, reason: 'this link is not valid for this file' };
    const expected = Buffer.from(this.#mac(exp, segments.slice(0, depth).join('/')));
    const given = Buffer.from(m[3]!);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, status: 403, reason: 'this link is not valid (altered, or signed with another key)' };
    if (exp * 1000 <= now.getTime()) {
      return { ok: false, status: 410, reason: `this link expired at ${new Date(exp * 1000).toISOString()}; the run's page has a fresh one` };
    }
    return { ok: true, runId, name };
  }
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
