// A small stand-in for the GitHub Actions REST API on 127.0.0.1: workflow dispatch, the
// workflow's run list, a run's status (queued -> in_progress -> completed after N looks) and
// cancel. It checks what GitHub checks (token, declared inputs, string values) and records every
// request so tests can assert paths, bodies and headers. Served under an optional path prefix
// (`/api/v3`) like GitHub Enterprise Server.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const DECLARED_INPUTS = ['base_url', 'browser', 'project', 'test_user', 'workers', 'retries', 'run_id', 'ref'];

export interface RunPlan {
  /** `conclusion` once completed; null keeps the run going forever. */
  conclusion: string | null;
  /** The run reads `completed` from this status look on (1 = the first GET). */
  completesOnLook: number;
}

export interface FakeGithubOptions {
  /** `details`: 200 with workflow_run_id (newer GitHub); `no-content`: 204 (older GitHub, GHES); `strict-legacy`: 422 for return_run_details, else 204. */
  dispatchMode?: 'details' | 'no-content' | 'strict-legacy';
  /** Answer every dispatch with this error instead. */
  dispatchError?: { status: number; message: string };
  plan?: (inputs: Record<string, string>) => RunPlan;
  /** A dispatched run shows in the run list only from this list call on (1 = at once). */
  listedFromCall?: number;
  /** The run-name the fake workflow gives its runs; null simulates a workflow without run-name. */
  runName?: ((inputs: Record<string, string>) => string) | null;
  /** Runs already in the list (other runs, other browsers). */
  otherRuns?: { display_title: string; status?: string; conclusion?: string | null }[];
  pathPrefix?: string;
  /** What every run uploaded (actions/upload-artifact): listed, and downloaded through a redirect to a blob URL. */
  artifacts?: { name: string; zip: Buffer; expired?: boolean }[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
}

export interface FakeRun {
  id: number;
  name: string;
  display_title: string;
  status: string;
  conclusion: string | null;
  html_url: string;
  event: string;
  created_at: string;
  inputs: Record<string, string>;
  plan: RunPlan;
  looks: number;
  listCalls: number;
  cancelled: boolean;
}

export interface FakeGithub {
  baseUrl: string;
  requests: RecordedRequest[];
  runs: FakeRun[];
  close(): Promise<void>;
}

export async function startFakeGithub(opts: FakeGithubOptions = {}): Promise<FakeGithub> {
  const prefix = opts.pathPrefix ?? '';
  const requests: RecordedRequest[] = [];
  const runs: FakeRun[] = [];
  let nextId = 7_000_001;
  for (const other of opts.otherRuns ?? []) {
    runs.push(newRun(nextId++, other.display_title, {}, { conclusion: other.conclusion ?? null, completesOnLook: 1 }, Infinity));
    const run = runs.at(-1) as FakeRun;
    run.status = other.status ?? 'in_progress';
  }

  function newRun(id: number, title: string, inputs: Record<string, string>, plan: RunPlan, listedFrom: number): FakeRun {
    return {
      id,
      name: 'Playwright',
      display_title: title,
      status: 'queued',
      conclusion: null,
      html_url: `https://github.example/acme/e2e/actions/runs/${id}`,
      event: 'workflow_dispatch',
      created_at: new Date().toISOString(),
      inputs,
      plan,
      looks: 0,
      // Pre-existing runs are listed at once; dispatched ones after `listedFromCall` list calls.
      listCalls: listedFrom === Infinity ? Number.MAX_SAFE_INTEGER : 1 - listedFrom,
      cancelled: false,
    };
  }

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : url.pathname;
    requests.push({ method: req.method ?? '', path, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization, body });
    let m: RegExpMatchArray | null;

    // Where GitHub redirects an artifact download: blob storage, a signed URL, no token needed.
    if (req.method === 'GET' && (m = path.match(/^\/blob\/(\d+)$/))) {
      const artifact = opts.artifacts?.[Number(m[1])];
      if (!artifact) return send(res, 404, { message: 'Not Found' });
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': artifact.zip.length }).end(artifact.zip);
      return;
    }

    if (!/^token ghs_\w+$/.test(req.headers.authorization ?? '')) return send(res, 401, { message: 'Bad credentials' });

    if (req.method === 'GET' && (m = path.match(/^\/repos\/acme\/e2e\/actions\/runs\/(\d+)\/artifacts$/))) {
      const artifacts = (opts.artifacts ?? []).map((a, i) => ({ id: 900 + i, name: a.name, size_in_bytes: a.zip.length, expired: a.expired ?? false }));
      return send(res, 200, { total_count: artifacts.length, artifacts });
    }
    if (req.method === 'GET' && (m = path.match(/^\/repos\/acme\/e2e\/actions\/artifacts\/(\d+)\/zip$/))) {
      const index = Number(m[1]) - 900;
      if (!opts.artifacts?.[index]) return send(res, 404, { message: 'Not Found' });
      res.writeHead(302, { location: `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}/blob/${index}` }).end();
      return;
    }

    if (req.method === 'POST' && (m = path.match(/^\/repos\/acme\/e2e\/actions\/workflows\/([^/]+)\/dispatches$/))) {
      if (m[1] !== 'playwright.yml') return send(res, 404, { message: 'Not Found' });
      if (opts.dispatchError) return send(res, opts.dispatchError.status, { message: opts.dispatchError.message });
      const mode = opts.dispatchMode ?? 'details';
      if (mode === 'strict-legacy' && body && 'return_run_details' in body) {
        return send(res, 422, { message: 'Invalid request.\n\n"return_run_details" is not a permitted key.' });
      }
      const inputs = (body?.inputs ?? {}) as Record<string, unknown>;
      const unexpected = Object.keys(inputs).filter((k) => !DECLARED_INPUTS.includes(k));
      if (unexpected.length > 0) return send(res, 422, { message: `Unexpected inputs provided: ${JSON.stringify(unexpected)}` });
      if (Object.values(inputs).some((v) => typeof v !== 'string')) return send(res, 422, { message: 'inputs values must be strings' });
      const strInputs = inputs as Record<string, string>;
      const title = opts.runName === null ? 'Playwright' : (opts.runName ?? ((i) => `${i.run_id} ${i.browser}`))(strInputs);
      const plan = opts.plan?.(strInputs) ?? { conclusion: 'success', completesOnLook: 3 };
      const run = newRun(nextId++, title, strInputs, plan, opts.listedFromCall ?? 1);
      runs.push(run);
      if (mode === 'details' && body?.return_run_details === true) {
        return send(res, 200, {
          workflow_run_id: run.id,
          run_url: `http://127.0.0.1/repos/acme/e2e/actions/runs/${run.id}`,
          html_url: run.html_url,
        });
      }
      return send(res, 204);
    }

    if (req.method === 'GET' && path === '/repos/acme/e2e/actions/workflows/playwright.yml/runs') {
      const listed = [...runs]
        .reverse() // newest first, as GitHub lists them
        .filter((run) => ++run.listCalls > 0)
        .filter((run) => !url.searchParams.get('event') || run.event === url.searchParams.get('event'));
      return send(res, 200, { total_count: listed.length, workflow_runs: listed.map(publicRun) });
    }

    if (req.method === 'GET' && (m = path.match(/^\/repos\/acme\/e2e\/actions\/runs\/(\d+)$/))) {
      const run = runs.find((r) => r.id === Number(m?.[1]));
      if (!run) return send(res, 404, { message: 'Not Found' });
      run.looks++;
      if (!run.cancelled && run.status !== 'completed') {
        if (run.plan.conclusion !== null && run.looks >= run.plan.completesOnLook) {
          run.status = 'completed';
          run.conclusion = run.plan.conclusion;
        } else if (run.looks > 1) run.status = 'in_progress';
      }
      return send(res, 200, publicRun(run));
    }

    if (req.method === 'POST' && (m = path.match(/^\/repos\/acme\/e2e\/actions\/runs\/(\d+)\/cancel$/))) {
      const run = runs.find((r) => r.id === Number(m?.[1]));
      if (!run) return send(res, 404, { message: 'Not Found' });
      if (run.status === 'completed') return send(res, 409, { message: 'Cannot cancel a workflow run that is completed.' });
      run.cancelled = true;
      run.status = 'completed';
      run.conclusion = 'cancelled';
      return send(res, 202, {});
    }

    return send(res, 404, { message: 'Not Found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { message: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}${prefix}`,
    requests,
    runs,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function publicRun(run: FakeRun) {
  return {
    id: run.id,
    name: run.name,
    display_title: run.display_title,
    status: run.status,
    conclusion: run.conclusion,
    html_url: run.html_url,
    event: run.event,
    created_at: run.created_at,
    head_branch: 'main',
  };
}
