// The web dashboard: a front over the command executor's read side (the board, RunView, run lists,
// the audit's reports) and its event feed, served by stagebot's one HTTP server at `/`. Pages are
// rendered on the server; one small script keeps them live. Access rules live in ../access.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunView } from '../../commands/executor.ts';
import { ConflictError, errorLine, isUserError, NotFoundError, PermissionError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import { GITHUB_CALLBACK_PATH, isRefusal, safeReturnTo, type Access, type Refusal, type Viewer } from '../access/index.ts';
import type { Handler } from '../routes.ts';
import { afterAction, commandFor, doneNotice, readForm, type ActionName } from './actions.ts';
import { layout, type Page, type PageContext } from './layout.ts';
import { LiveFeed } from './live.ts';
import { boardPage } from './pages/board.ts';
import { problemPage, signInPage } from './pages/misc.ts';
import { orphansPage } from './pages/orphans.ts';
import { readFilters, runsPage } from './pages/runs.ts';
import { runPage } from './pages/run.ts';
import { SPEND_DAYS, spendPage } from './pages/spend.ts';
import type { DashboardCommands, DashboardLinks } from './ports.ts';
import { redirect, securityHeaders, sendPage } from './respond.ts';
import { StaticFiles } from './static-files.ts';

export type { DashboardCommands, DashboardLinks, ChatLink } from './ports.ts';

export interface DashboardDeps {
  commands: DashboardCommands;
  links: DashboardLinks;
  access: Access;
  logger: Logger;
  /** Served over https (Secure cookies, HSTS). */
  https: boolean;
}

export interface Dashboard {
  name: 'dashboard';
  handler: Handler;
  /** Its access rules, for routes served beside it under the same rules (artifacts). */
  access: Access;
  /** Open live-update streams. */
  readonly liveConnections: number;
  /** Ends the live streams (the server is stopping). */
  stop(): void;
}

const ANONYMOUS: Viewer = { requester: null, name: 'anonymous', via: 'anonymous', admin: false };
const RUN_ACTION = /^\/runs\/([^/]+)\/(cancel|extend|teardown)$/;
const UNLOCK = /^\/environments\/([^/]+)\/unlock$/;

function statusOf(err: unknown): 400 | 403 | 404 | 409 {
  if (err instanceof PermissionError) return 403;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ConflictError) return 409;
  return 400;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

export function createDashboard(deps: DashboardDeps): Dashboard {
  const { commands, access, logger } = deps;
  const files = new StaticFiles();
  const headers = securityHeaders(deps.https);
  const live = new LiveFeed((l) => commands.onEvent(l), { maxConnections: access.config.maxLiveConnections });

  const context = async (req: IncomingMessage, res: ServerResponse, viewer: Viewer, url: URL): Promise<PageContext> => ({
    viewer,
    csrf: await access.formToken(req, res, viewer),
    installation: commands.config.installation,
    auth: access.config.auth,
    files,
    now: commands.now(),
    path: url.pathname + url.search,
  });

  const render = async (req: IncomingMessage, res: ServerResponse, viewer: Viewer, url: URL, status: number, page: (ctx: PageContext) => Page | Promise<Page>) => {
    const ctx = await context(req, res, viewer, url);
    sendPage(req, res, status, layout(ctx, await page(ctx)));
  };

  const refusePage = (req: IncomingMessage, res: ServerResponse, url: URL, r: Refusal, viewer: Viewer = ANONYMOUS) =>
    render(req, res, viewer, url, r.status, (ctx) => problemPage(ctx, r.status, r.message, r.signIn));

  async function page(req: IncomingMessage, res: ServerResponse, viewer: Viewer, url: URL): Promise<void> {
    const path = url.pathname;
    const done = (subject: string) => {
      const text = doneNotice(url.searchParams, subject);
      return text ? { kind: 'ok' as const, text } : null;
    };
    if (path === '/') {
      const board = await commands.board();
      const views = new Map<string, RunView>();
      await Promise.all(board.environments.flatMap((e) => (e.run ? [commands.view(e.run).then((v) => views.set(v.run.id, v))] : [])));
      return render(req, res, viewer, url, 200, (ctx) => ({ ...boardPage(ctx, { board, views, config: commands.config }), notice: done('') }));
    }
    if (path === '/runs') {
      const environments = Object.keys(commands.config.environments);
      const { filters, query, problems } = readFilters(url.searchParams, environments);
      const runs = await commands.runs(query);
      return render(req, res, viewer, url, problems.length ? 400 : 200, (ctx) => runsPage(ctx, { runs, filters, problems, environments }));
    }
    const runMatch = /^\/runs\/([^/]+)$/.exec(path);
    if (runMatch) {
      const id = decode(runMatch[1] ?? '');
      const view = await commands.view(id);
      const [timeline, links] = await Promise.all([commands.timeline(id), deps.links.forRun(id).catch(() => [])]);
      return render(req, res, viewer, url, 200, (ctx) => ({ ...runPage(ctx, { view, timeline, links }), notice: done(`Run ${id}`) }));
    }
    if (path === '/orphans') {
      const report = await commands.orphans(30);
      return render(req, res, viewer, url, 200, (ctx) => ({ ...orphansPage(ctx, report, commands.config), notice: done('') }));
    }
    if (path === '/spend') {
      const report = await commands.spend(SPEND_DAYS);
      return render(req, res, viewer, url, 200, (ctx) => spendPage(ctx, report));
    }
    if (path === '/live') {
      const run = url.searchParams.get('run');
      if (!live.open(req, res, run ? run.slice(0, 100) : null)) {
        res.writeHead(503, { 'retry-after': '30', 'content-type': 'text/plain; charset=utf-8' });
        res.end(`too many live connections (dashboard.maxLiveConnections: ${access.config.maxLiveConnections}); the page retries\n`);
      }
      return;
    }
    return render(req, res, viewer, url, 404, (ctx) => problemPage(ctx, 404, `no page ${path}`));
  }

  async function act(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    let action: ActionName;
    let target: string;
    const runAction = RUN_ACTION.exec(path);
    const unlock = UNLOCK.exec(path);
    if (runAction) [action, target] = [runAction[2] as ActionName, decode(runAction[1] ?? '')];
    else if (unlock) [action, target] = ['unlock', decode(unlock[1] ?? '')];
    else if (path === '/orphans/reap') [action, target] = ['reap', ''];
    else return render(req, res, ANONYMOUS, url, 404, (ctx) => problemPage(ctx, 404, `nothing to do at ${path}`));

    const form = await readForm(req);
    const allowed = await access.requireActor(req, res, form.get('_csrf'));
    if (isRefusal(allowed)) {
      logger.info({ path, status: allowed.status }, 'dashboard action refused');
      const viewer = await access.requireViewer(req, res);
      return refusePage(req, res, url, allowed, isRefusal(viewer) ? ANONYMOUS : viewer);
    }
    try {
      const command = await commandFor(commands, action, target, form);
      await commands.execute(command, allowed.actor);
      logger.info({ action, target, by: allowed.actor.requester }, 'dashboard action done');
      return redirect(res, afterAction(action, target));
    } catch (err) {
      if (!isUserError(err)) throw err;
      logger.info({ action, target, by: allowed.actor.requester, err: errorLine(err) }, 'dashboard action refused by the executor');
      const status = statusOf(err);
      const back = action === 'reap' ? { href: '/orphans', label: 'Back to the orphans' } : action === 'unlock' ? undefined : { href: `/runs/${encodeURIComponent(target)}`, label: `Back to run ${target}` };
      return render(req, res, allowed.viewer, url, status, (ctx) => problemPage(ctx, status, err.message, undefined, back));
    }
  }

  async function signIn(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const returnTo = safeReturnTo(url.searchParams.get('returnTo'));
    if (url.pathname === '/signin') {
      const viewer = await access.requireViewer(req, res);
      return render(req, res, isRefusal(viewer) ? ANONYMOUS : viewer, url, 200, (ctx) => signInPage(ctx, access, returnTo));
    }
    const github = access.githubSignIn;
    if (!github) return render(req, res, ANONYMOUS, url, 404, (ctx) => problemPage(ctx, 404, access.githubProblem ?? 'GitHub sign-in is off (dashboard.auth is not github)'));
    const session = await access.session(req, res);
    if (url.pathname === '/auth/github') {
      const target = github.start(session, returnTo);
      await session.save();
      return redirect(res, target, 302);
    }
    let outcome: Awaited<ReturnType<typeof github.finish>>;
    try {
      outcome = await github.finish(session, url.searchParams);
    } catch (err) {
      logger.warn({ err }, 'GitHub sign-in failed');
      await session.save();
      return refusePage(req, res, url, { refused: true, status: 503, message: `GitHub did not answer the sign-in (${errorLine(err)}); try again`, signIn: '/signin' });
    }
    await session.save();
    if (isRefusal(outcome)) {
      logger.info({ status: outcome.status }, `GitHub sign-in refused: ${outcome.message}`);
      return refusePage(req, res, url, outcome);
    }
    logger.info({ login: outcome.login }, 'signed in to the dashboard with GitHub');
    return redirect(res, outcome.returnTo);
  }

  async function signOut(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const form = await readForm(req);
    const allowed = await access.requireActor(req, res, form.get('_csrf'));
    if (isRefusal(allowed)) return refusePage(req, res, url, allowed);
    (await access.session(req, res)).destroy();
    return redirect(res, '/');
  }

  const handler: Handler = async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    await headers(req, res);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method === 'GET' && url.pathname.startsWith('/assets/')) {
      if (files.serve(req, res, url.pathname.slice('/assets/'.length))) return;
    }
    if (method === 'GET' && url.pathname === '/favicon.ico') {
      res.writeHead(204);
      return void res.end();
    }
    try {
      if (method === 'GET' && (url.pathname === '/signin' || url.pathname === '/auth/github' || url.pathname === GITHUB_CALLBACK_PATH)) return await signIn(req, res, url);
      if (method === 'POST' && url.pathname === '/signout') return await signOut(req, res, url);
      if (method === 'POST') return await act(req, res, url);
      if (method !== 'GET') {
        res.writeHead(405, { allow: 'GET, HEAD, POST' });
        return void res.end();
      }
      const viewer = await access.requireViewer(req, res);
      if (isRefusal(viewer)) {
        if (url.pathname === '/live') {
          res.writeHead(viewer.status, { 'content-type': 'text/plain; charset=utf-8' });
          return void res.end(`${viewer.message}\n`);
        }
        return await refusePage(req, res, url, viewer);
      }
      try {
        return await page(req, res, viewer, url);
      } catch (err) {
        if (!isUserError(err) || res.headersSent) throw err;
        const status = statusOf(err);
        return await render(req, res, viewer, url, status, (ctx) => problemPage(ctx, status, err.message));
      }
    } catch (err) {
      if (!isUserError(err) || res.headersSent) throw err;
      const status = statusOf(err);
      return render(req, res, ANONYMOUS, url, status, (ctx) => problemPage(ctx, status, err.message));
    }
  };

  return {
    name: 'dashboard',
    handler,
    access,
    get liveConnections() {
      return live.connections;
    },
    stop: () => live.close(),
  };
}
