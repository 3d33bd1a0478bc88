import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSsh } from '../../src/ssh/connect.ts';
import type { ExecOptions, ExecResult } from '../../src/ssh/exec.ts';
import { curlCommand, waitForHttp, type HttpAttempt, type HttpWaitOptions } from '../../src/ssh/http-wait.ts';
import type { RemoteExec, SshSession } from '../../src/ssh/session.ts';
import { freePort, startSshd, type TestSshd } from '../support/sshd.ts';

let sshd: TestSshd;
let session: SshSession;
const servers: (HttpServer | TcpServer)[] = [];
// A socket nobody reads never sees the peer's FIN: close() would wait for it forever.
const sockets = new Set<Socket>();

beforeAll(async () => {
  sshd = await startSshd();
  session = await connectSsh({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: sshd.privateKey, timeoutMs: 5_000 });
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await session?.close();
  await sshd?.stop();
});

async function listen<T extends HttpServer | TcpServer>(server: T): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** An HTTP server answering each request with the next status of `statuses` (the last one repeats). */
async function statusServer(statuses: number[]): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = [];
  const port = await listen(
    createHttpServer((req, res) => {
      paths.push(req.url ?? '');
      res.statusCode = statuses[Math.min(paths.length - 1, statuses.length - 1)] ?? 500;
      res.end('body');
    }),
  );
  return { url: `http://127.0.0.1:${port}/health`, paths };
}

function recordingSleep() {
  const pauses: number[] = [];
  return { pauses, sleep: async (ms: number) => void pauses.push(ms) };
}

function options(url: string, extra: Partial<HttpWaitOptions> = {}): HttpWaitOptions {
  return { url, expectStatus: 200, attempts: 5, intervalMs: 15_000, requestTimeoutMs: 5_000, ...extra };
}

describe('waitForHttp on the host, through the real sshd', () => {
  it('succeeds once the service answers the expected status, pausing between attempts', async () => {
    const server = await statusServer([503, 503, 200]);
    const { pauses, sleep } = recordingSleep();
    const seen: HttpAttempt[] = [];
    const result = await waitForHttp(session, options(server.url, { sleep, onAttempt: (a) => seen.push(a) }));

    expect(result).toMatchObject({ ok: true, attempts: 3, lastStatus: 200, lastOutcome: 'ok' });
    expect(result.message).toMatch(new RegExp(`^${server.url} answered 200 after 3 attempts \\(`));
    expect(seen.map((a) => [a.outcome, a.status])).toEqual([['wrong-status', 503], ['wrong-status', 503], ['ok', 200]]);
    expect(pauses).toEqual([15_000, 15_000]);
    expect(server.paths).toEqual(['/health', '/health', '/health']);
  });

  it('gives up after the bound on a wrong status and says which', async () => {
    const server = await statusServer([404]);
    const { pauses, sleep } = recordingSleep();
    const result = await waitForHttp(session, options(server.url, { attempts: 3, sleep }));

    expect(result).toMatchObject({ ok: false, attempts: 3, lastStatus: 404, lastOutcome: 'wrong-status', lastDetail: 'HTTP 404' });
    expect(result.message).toMatch(new RegExp(`^${server.url} did not answer 200 after 3 attempts over .+: HTTP 404$`));
    expect(server.paths).toHaveLength(3);
    expect(pauses).toHaveLength(2);
  });

  it('reports a connection closed without an answer as "empty reply"', async () => {
    let connections = 0;
    const port = await listen(
      createTcpServer((socket) => {
        connections++;
        socket.once('data', () => socket.destroy());
      }),
    );
    const { sleep } = recordingSleep();
    const result = await waitForHttp(session, options(`http://127.0.0.1:${port}/`, { attempts: 2, sleep }));

    expect(result).toMatchObject({ ok: false, attempts: 2, lastStatus: null, lastOutcome: 'empty-reply', lastDetail: 'empty reply' });
    expect(result.message).toMatch(/: empty reply$/);
    expect(connections).toBe(2);
  });

  it('reports a closed port as refused, within the bound', async () => {
    const port = await freePort();
    const { sleep } = recordingSleep();
    const result = await waitForHttp(session, options(`http://127.0.0.1:${port}/`, { attempts: 2, sleep }));
    expect(result).toMatchObject({ ok: false, attempts: 2, lastStatus: null, lastOutcome: 'refused', lastDetail: 'connection refused' });
  });

  it('reports a service that does not answer in time', async () => {
    const port = await listen(createTcpServer(() => undefined));
    const result = await waitForHttp(session, options(`http://127.0.0.1:${port}/`, { attempts: 1, requestTimeoutMs: 300 }));
    expect(result).toMatchObject({ ok: false, attempts: 1, lastOutcome: 'timeout' });
  });

  it('passes a hostile URL to curl as one inert word', async () => {
    const canaryDir = await mkdtemp(join(tmpdir(), 'stagebot-canary-'));
    try {
      const server = await statusServer([200]);
      const path = `/x'$(touch${'${IFS}'}${canaryDir}/touched)'\`touch${'${IFS}'}${canaryDir}/touched\``;
      const result = await waitForHttp(session, options(server.url.replace('/health', path), { attempts: 1 }));
      expect(result.ok).toBe(true);
      expect(decodeURI(server.paths[0] ?? '')).toBe(path);
      expect(existsSync(join(canaryDir, 'touched'))).toBe(false);
    } finally {
      await rm(canaryDir, { recursive: true, force: true });
    }
  });

  it('stops when aborted during a pause, with the abort reason', async () => {
    const server = await statusServer([503]);
    const controller = new AbortController();
    const reason = new Error('run cancelled');
    const seen: HttpAttempt[] = [];
    const running = waitForHttp(session, options(server.url, { attempts: 40, intervalMs: 10_000, signal: controller.signal, onAttempt: (a) => {
      seen.push(a);
      controller.abort(reason);
    } }));
    await expect(running).rejects.toBe(reason);
    expect(seen).toHaveLength(1);
  });
});

describe('waitForHttp outcomes from curl', () => {
  function fakeHost(results: Partial<ExecResult>[]): RemoteExec & { commands: string[] } {
    const commands: string[] = [];
    return {
      commands,
      async exec(command: string, _opts: ExecOptions): Promise<ExecResult> {
        commands.push(command);
        const result = results[Math.min(commands.length - 1, results.length - 1)] ?? {};
        return { code: 0, timedOut: false, stdoutTail: '', stderrTail: '', durationMs: 1, ...result };
      },
    };
  }

  it('stops at once when curl is missing on the host', async () => {
    const host = fakeHost([{ code: 127, stderrTail: 'sh: 1: curl: not found\n' }]);
    const result = await waitForHttp(host, options('http://localhost:8080/health', { attempts: 40, sleep: async () => {} }));
    expect(result).toMatchObject({ ok: false, attempts: 1, lastOutcome: 'error', lastDetail: 'curl is not installed on the host' });
  });

  it('names other curl failures with curl own words', async () => {
    const host = fakeHost([{ code: 6, stdoutTail: '000', stderrTail: 'curl: (6) Could not resolve host: nowhere\n' }]);
    const result = await waitForHttp(host, options('http://nowhere/', { attempts: 1 }));
    expect(result.lastDetail).toBe('curl exit code 6: curl: (6) Could not resolve host: nowhere');
  });

  it('builds the curl command with the URL single-quoted after --url', () => {
    expect(curlCommand("http://localhost:3001/a'b", 10_000)).toBe(
      `curl -q -g -sS -o /dev/null -w '%{http_code}' --max-time 10 --url 'http://localhost:3001/a'\\''b'`,
    );
    expect(curlCommand('http://localhost/', 1_500)).toContain('--max-time 1.500 ');
  });
});
