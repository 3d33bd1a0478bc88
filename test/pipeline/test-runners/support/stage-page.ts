// What a real Playwright run needs here: the staging app under test (a heading and a login form that
// remembers who signed in), the operator's command for the suite in playwright-suite/, and a scan for
// the processes a run left behind.

import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { processState } from '../../../../src/pipeline/test-runners/process-group.ts';

export const SUITE_CONFIG = 'test/pipeline/test-runners/playwright-suite/playwright.config.ts';
// An operator's command, written the way stagebot.example.yml suggests.
export const COMMAND = `npx playwright test --config=${SUITE_CONFIG} --project="$PLAYWRIGHT_PROJECT" --workers="$WORKERS" --retries="$RETRIES" --reporter=json`;

const MAX_BODY_BYTES = 4_096;

export interface Login {
  user: string | null;
  password: string | null;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > MAX_BODY_BYTES) throw new Error('body too large');
  }
  return body;
}

/** The staging app under test: a heading and a login form; it remembers who signed in. */
export function stagePage(logins: Login[]): Server {
  return createServer((req, res) => {
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><title>Acme staging</title></head><body>${html}</body></html>`);
    };
    if (req.method === 'GET' && req.url === '/') {
      send(
        200,
        `<h1>Acme staging</h1>
         <form method="post" action="/login">
           <label>User <input name="user"></label>
           <label>Password <input name="password" type="password"></label>
           <button type="submit">Sign in</button>
         </form>`,
      );
      return;
    }
    if (req.method === 'POST' && req.url === '/login') {
      readBody(req).then(
        (body) => {
          const form = new URLSearchParams(body);
          const login = { user: form.get('user'), password: form.get('password') };
          logins.push(login);
          send(200, `<h1>Welcome, ${escapeHtml(login.user ?? '')}</h1>`);
        },
        () => send(413, '<h1>Too large</h1>'),
      );
      return;
    }
    send(404, '<h1>Not found</h1>');
  });
}

/** Live (not zombie) processes whose environment carries `RUN_ID=runId`: the run's whole tree. */
export async function processesOfRun(runId: string): Promise<number[]> {
  const marker = `\0RUN_ID=${runId}\0`;
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let environ: string;
    try {
      environ = `\0${await readFile(`/proc/${name}/environ`, 'utf8')}`;
    } catch {
      continue; // gone meanwhile, or not ours to read
    }
    if (!environ.includes(marker)) continue;
    const state = await processState(name);
    if (state && state.state !== 'Z' && state.state !== 'X') found.push(Number(name));
  }
  return found;
}

