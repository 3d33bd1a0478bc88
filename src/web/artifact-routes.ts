// Serves a run's artifacts and the Playwright trace viewer:
//   /artifacts/<signed token>/<runId>/<name>  a kept file, when its link is signed and unexpired
//   /artifacts/-/<runId>/<name>               the same, for whoever the dashboard's access rules let in
//   /trace/...                                the trace viewer playwright-core ships, served from here so
//                                             that `?trace=<signed same-origin URL>` opens with no CORS
//                                             and no login wall
// What a person sees for a refused link is one line saying why (expired, altered, deleted).

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import mime from 'mime-types';
import { ARTIFACT_ROUTE, TRACE_VIEWER_ROUTE } from '../commands/artifact-links.ts';
import type { CommandExecutor } from '../commands/executor.ts';
import { sendText, type PrefixRoute } from './routes.ts';

export interface ArtifactRoutesDeps {
  commands: Pick<CommandExecutor, 'artifact'>;
  /**
   * Whether this request may read artifacts without a signed link: the dashboard's access check
   * (src/web/access). Absent: only signed links open.
   */
  mayReadUnsigned?: ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) | undefined;
  /** The trace viewer's files; default: the one playwright-core ships. */
  traceViewerDir?: string | undefined;
}

/** Where playwright-core keeps the trace viewer's built files. */
export function traceViewerDir(): string {
  const pkg = createRequire(import.meta.url).resolve('playwright-core/package.json');
  return join(dirname(pkg), 'lib', 'vite', 'traceViewer');
}

function contentType(name: string): string {
  const type = mime.lookup(name) || 'application/octet-stream';
  // JSON reports and markdown open as text in the browser instead of downloading.
  return /^(text\/|application\/(json|javascript))/.test(type) ? `${type}; charset=utf-8` : type;
}

/** Types a browser would run as a page or a script on this origin (the dashboard's, with its session). */
const ACTIVE = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/javascript|application\/javascript)/;

/**
 * Only Playwright's own HTML report pages (its index.html and the trace viewer it embeds) may open as
 * pages: any other active file (an HTML or SVG attachment a test wrote, also as copied into the
 * report's data/) is sent as a download, so that nothing a test produced runs on stagebot's origin.
 */
function artifactHeaders(name: string): Record<string, string> {
  const type = contentType(name);
  const reportPage = /^[^/]+\/report\/(index\.html|trace\/.+)$/.test(name);
  if (!ACTIVE.test(type) || reportPage) return { 'content-type': type };
  return { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${(name.split('/').pop() ?? 'file').replace(/[^A-Za-z0-9._-]/g, '_')}"` };
}

/** Headers every artifact response carries: never sniffed, never a referrer that would carry the signed URL away. */
const ARTIFACT_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'private, max-age=300',
};

async function serveArtifact(deps: ArtifactRoutesDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'artifacts are read-only\n');
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const fetched = await deps.commands.artifact(path.slice(ARTIFACT_ROUTE.length), () => deps.mayReadUnsigned?.(req, res) ?? Promise.resolve(false));
  if (!fetched.ok) return sendText(res, fetched.status, `${fetched.reason}\n`);
  res.writeHead(200, { ...ARTIFACT_HEADERS, ...artifactHeaders(fetched.name), 'content-length': fetched.size });
  if (req.method === 'HEAD') {
    fetched.body.destroy();
    res.end();
    return;
  }
  await pipeline(fetched.body, res).catch(() => res.destroy());
}

async function serveTraceViewer(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'the trace viewer is read-only\n');
  let rel: string;
  try {
    rel = decodeURIComponent(((req.url ?? '/').split('?')[0] ?? '/').slice(TRACE_VIEWER_ROUTE.length)) || 'index.html';
  } catch {
    return sendText(res, 400, 'bad path\n');
  }
  const file = normalize(join(root, rel));
  if (!file.startsWith(root + sep)) return sendText(res, 404, 'not found\n');
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) return sendText(res, 404, 'not found\n');
  res.writeHead(200, {
    'content-type': contentType(file),
    'content-length': info.size,
    'x-content-type-options': 'nosniff',
    // The viewer's pages and its service worker must be fresh after an upgrade; hashed assets need not.
    'cache-control': /\.[0-9A-Za-z_-]{8}\.(js|css)$|-[0-9A-Za-z_-]{8}\.js$/.test(file) ? 'public, max-age=86400' : 'no-cache',
  });
  if (req.method === 'HEAD') return void res.end();
  await pipeline(createReadStream(file), res).catch(() => res.destroy());
}

export function artifactRoutes(deps: ArtifactRoutesDeps): PrefixRoute[] {
  const root = normalize(deps.traceViewerDir ?? traceViewerDir());
  return [
    { prefix: ARTIFACT_ROUTE, name: 'artifacts', handler: (req, res) => serveArtifact(deps, req, res) },
    { prefix: TRACE_VIEWER_ROUTE, name: 'trace-viewer', handler: (req, res) => serveTraceViewer(root, req, res) },
  ];
}
