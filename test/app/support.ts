// `node src/main.ts serve` as a child process: its JSON log lines, its URL, and a sure kill.
import { spawn, type ChildProcess } from 'node:child_process';
import { childEnv, MAIN } from '../bot/cli/support.ts';

export interface ServeChild {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  /** stderr's lines, parsed; a line that is not JSON fails the parse, on purpose. */
  logLines(): Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/** SIGKILLs every server a test started and did not see exit. For afterEach / afterAll. */
export function killServers(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

export interface StartOptions {
  cwd: string;
  /** After `serve`, e.g. `--output json`. */
  args?: string[];
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** Starts the server on PORT=0 (a free port) on 127.0.0.1; resolves once it logs `stagebot listening`. */
export function startServe(opts: StartOptions): Promise<ServeChild> {
  const child = spawn(process.execPath, [MAIN, 'serve', ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env: childEnv(opts.cwd, { PORT: '0', HOST: '127.0.0.1', ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const handle = (url: string): ServeChild => ({
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    logLines: () => err.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>),
    exited,
  });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`stagebot serve did not start within ${opts.timeoutMs ?? 15_000} ms; stderr:\n${err}`));
    }, opts.timeoutMs ?? 15_000);
    const onData = () => {
      // Only complete lines: a chunk may end in the middle of one.
      for (const line of err.split('\n').slice(0, -1)) {
        if (!line.includes('"stagebot listening"')) continue;
        const { url } = JSON.parse(line) as { url: string };
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        resolve(handle(url));
        return;
      }
    };
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`stagebot serve exited (${code ?? signal}) before listening; stderr:\n${err}`));
    });
  });
}

/** Resolves with the exit, or rejects after `ms`. */
export function exitWithin(server: { exited: ServeChild['exited'] }, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return Promise.race([
    server.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`did not exit within ${ms} ms`)), ms).unref()),
  ]);
}

export async function http(url: string, init?: RequestInit): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}
