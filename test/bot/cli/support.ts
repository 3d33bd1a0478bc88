// Runs the real `stagebot` executable as a child process, with an environment the test controls.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';

export const REPO = resolve(import.meta.dirname, '..', '..', '..');
export const BIN = join(REPO, 'bin', 'stagebot.js');
export const MAIN = join(REPO, 'src', 'main.ts');
export const EXAMPLE = join(REPO, 'stagebot.example.yml');

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A minimal environment: no AWS credentials or config files (so AWS calls fail fast), no Slack or
 * GitHub secrets, no STAGEBOT_CONFIG, unless `extra` sets them. `undefined` in extra removes a key.
 */
export function childEnv(home: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    USER: 'tester',
    LANG: 'C.UTF-8',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_REGION: 'us-east-1',
    // Dozens of children load the same modules: V8's code cache saves a third of each start.
    NODE_COMPILE_CACHE: join(tmpdir(), 'stagebot-test-compile-cache'),
    // The CLI's cache of validated configs goes here, not into HOME (which is the test's directory).
    XDG_CACHE_HOME: join(tmpdir(), 'stagebot-test-xdg-cache'),
  };
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** `stagebot …args` in `cwd`; never rejects: the exit code and both streams are the result. */
export function stagebot(args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<Result> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: opts.cwd, env: childEnv(opts.cwd, opts.env), timeout: opts.timeoutMs ?? 20_000, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 4 << 20 },
      (err, stdout, stderr) => {
        const e = err as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null;
        done({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, signal: e?.signal ?? null, stdout, stderr });
      },
    );
  });
}

/** A fresh directory, removed by the returned cleanup. */
export function tempDir(prefix = 'stagebot-cli-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The example configuration with its SQLite file moved into `dir`; returns the file's path. */
export function writeExampleConfig(dir: string, name = 'stagebot.yml', edit: (text: string) => string = (t) => t): string {
  const text = readFileSync(EXAMPLE, 'utf8').replace('sqlitePath: ./data/stagebot.db', `sqlitePath: ${join(dir, 'store', 'stagebot.db')}`);
  if (!text.includes(join(dir, 'store'))) throw new Error('the example no longer has `sqlitePath: ./data/stagebot.db`; update the test support');
  const path = join(dir, name);
  writeFileSync(path, edit(text));
  return path;
}

/** The lines of a text, without the empty last one. */
export function linesOf(text: string): string[] {
  return text.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
}

/** Output that would mean a crash reached the person: a stack frame or a Node error dump. */
export const STACK_TRACE = /^\s+at .+\(|node:internal|Error: .*\n\s+at /m;

/** A stream that keeps what is written to it, for an in-process CLI's stdout or stderr. */
export function capture(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { stream, text: () => chunks.join('') };
}
