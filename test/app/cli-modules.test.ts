// Which modules a CLI command loads (behaviour, not time; bench/cli-start.ts measures the time):
// `--help` loads the help text only, `list` and `status` on SQLite the config (from its cache once the
// file is unchanged) and the store, and none of them the chat fronts, SSH, Postgres or the AWS SDK.
// Each command runs as a child process that records every module it loads (test/support/module-trace.mjs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stagebot, tempDir, writeExampleConfig } from '../bot/cli/support.ts';

const HOOK = join(import.meta.dirname, '..', 'support', 'module-trace.mjs');
/** Packages no reading command may load. */
const HEAVY = ['probot', '@slack/bolt', '@slack/web-api', 'ssh2', 'node-ssh', 'pg', '@aws-sdk', '@smithy', 'pino-pretty', 'playwright-core', 'prom-client'];

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('stagebot-modules-');
  writeExampleConfig(tmp.dir);
});
afterAll(() => tmp.remove());

let seq = 0;
/** The packages (and src/ folders) a run of `stagebot …args` loaded, with its exit code. */
async function loads(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; packages: Set<string>; src: string[] }> {
  const trace = join(tmp.dir, `trace-${++seq}.txt`);
  // The config cache lives in this test's directory: the first command of the file parses it.
  const res = await stagebot(args, { cwd: tmp.dir, env: { NODE_OPTIONS: `--import=${HOOK}`, STAGEBOT_MODULE_TRACE: trace, XDG_CACHE_HOME: join(tmp.dir, 'cache'), ...env } });
  const urls = readFileSync(trace, 'utf8').split('\n').filter((l) => l !== '');
  const packages = new Set(
    urls.flatMap((u) => {
      const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
      return m ? [m[1]!] : [];
    }),
  );
  const src = urls.flatMap((u) => {
    const m = /\/src\/(.+)$/.exec(u);
    return m ? [m[1]!] : [];
  });
  return { code: res.code, packages, src };
}

function heavyIn(packages: Set<string>): string[] {
  return [...packages].filter((p) => HEAVY.some((h) => p === h || p.startsWith(`${h}/`)));
}

describe('what a command loads', () => {
  it('the trace sees what a command that needs the AWS SDK loads (a control for the tests below)', async () => {
    // `cost` loads the audit, and the audit the SDK's command classes: no AWS call is made.
    const cost = await loads(['cost']);
    expect(cost.code).toBe(0);
    expect(heavyIn(cost.packages)).toContain('@aws-sdk/client-ec2');
  });

  it('--help loads the help text and nothing else: no config, no logger, no store', async () => {
    for (const args of [['--help'], ['help', 'sweep'], ['lock', '--help']]) {
      const res = await loads(args);
      expect(res.code, args.join(' ')).toBe(0);
      expect([...res.packages], args.join(' ')).toEqual(expect.not.arrayContaining(['zod', 'yaml', 'pino', ...HEAVY]));
      expect(res.src.filter((f) => /^(config|store|pipeline|audit|aws|observability)\//.test(f)), args.join(' ')).toEqual([]);
    }
  });

  it('list and status on SQLite load no chat front, SSH, Postgres or AWS SDK; with the config unchanged, not even the YAML parser or the schema', async () => {
    const first = await loads(['list']);
    expect(first.code).toBe(0);
    expect(heavyIn(first.packages)).toEqual([]);
    for (const args of [['list'], ['status'], ['status', 'stg1'], ['list', '--output', 'json']]) {
      const res = await loads(args);
      expect(res.code, args.join(' ')).toBe(0);
      expect(heavyIn(res.packages), args.join(' ')).toEqual([]);
      expect([...res.packages], args.join(' ')).toEqual(expect.not.arrayContaining(['zod', 'yaml', 'node-cron']));
      expect(res.src.filter((f) => /^(pipeline\/(engine|steps)|aws|ssh)\b/.test(f)), args.join(' ')).toEqual([]);
    }
  });

  it('an edited config is parsed again (the cache answers only for the same file)', async () => {
    writeExampleConfig(tmp.dir, 'stagebot.yml', (t) => t.replace('installation: acme-staging', 'installation: acme-edited'));
    const res = await loads(['list']);
    expect(res.code).toBe(0);
    expect(res.packages.has('zod')).toBe(true);
  });

  it.skipIf(!process.env.TEST_DATABASE_URL)('with DATABASE_URL the store loads pg (and still no AWS SDK)', async () => {
    const res = await loads(['list'], { DATABASE_URL: process.env.TEST_DATABASE_URL });
    expect(res.code).toBe(0);
    expect(res.packages.has('pg')).toBe(true);
    expect(heavyIn(res.packages)).toEqual(['pg']);
  });
});
