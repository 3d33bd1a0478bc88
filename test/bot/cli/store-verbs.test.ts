// The store-backed verbs from the real executable, against a SQLite file in a temp directory.
// The tests run in order: each one starts from the state the previous one left.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linesOf, stagebot, tempDir, writeExampleConfig, type Result } from './support.ts';

let tmp: ReturnType<typeof tempDir>;
const run = (...args: string[]): Promise<Result> => stagebot(args, { cwd: tmp.dir });

// Verbs about runs that do not exist change nothing: they run alongside the first test.
let notFound: Promise<[Result, Result, Result]>;
let lockedByOther: Result | undefined;

beforeAll(() => {
  tmp = tempDir();
  writeExampleConfig(tmp.dir);
  notFound = Promise.all([
    run('assets', 'stg1-20261121-a1b2c3'),
    run('assets', 'stg1-20261121-a1b2c3', '--output', 'json'),
    run('cancel', 'stg4-20261121-ffffff'),
  ]);
});

afterAll(() => tmp.remove());

const ENV_LINE = /^ {2}(stg\d) +(.*)$/;

function envLines(stdout: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of linesOf(stdout)) {
    const m = ENV_LINE.exec(line);
    if (m) map.set(m[1]!, m[2]!);
  }
  return map;
}

describe('store-backed verbs', () => {
  it('list: four free environments and an empty queue, in the configured store', async () => {
    const res = await run('list');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(linesOf(res.stdout)).toEqual(['environments:', '  stg1     free', '  stg2     free', '  stg3     free', '  stg4     free', 'queue: empty']);
    expect(existsSync(join(tmp.dir, 'store', 'stagebot.db'))).toBe(true);
    expect(readdirSync(tmp.dir).sort()).toEqual(['stagebot.yml', 'store']);
  });

  it('lock stg2 --reason="db migration" holds it for the caller', async () => {
    const res = await run('lock', 'stg2', '--reason=db migration');
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(linesOf(res.stdout)).toEqual(['stg2 locked by cli:tester: db migration (until `unlock stg2`)']);
  });

  it('list and status show stg2 locked with who, since when and why; JSON carries the same', async () => {
    const [text, status, json, other] = await Promise.all([
      run('list'),
      run('status'),
      run('list', '--output', 'json'),
      stagebot(['lock', 'stg2', '--reason=mine now'], { cwd: tmp.dir, env: { USER: 'alice' } }),
    ]);
    lockedByOther = other;
    expect(text.code).toBe(0);
    const envs = envLines(text.stdout);
    expect(envs.get('stg2')).toMatch(/^locked +by cli:tester since \d{4}-\d\d-\d\d \d\d:\d\d UTC: db migration$/);
    expect([envs.get('stg1'), envs.get('stg3'), envs.get('stg4')]).toEqual(['free', 'free', 'free']);
    expect(status.code).toBe(0);
    expect(envLines(status.stdout).get('stg2')).toBe(envs.get('stg2'));

    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    const { command, result: doc } = JSON.parse(json.stdout) as { command: string; result: { environments: { env: string; lock: { holder: string; reason: string } | null }[]; queue: unknown[] } };
    expect(command).toBe('list');
    expect(doc.environments.map((e) => e.env)).toEqual(['stg1', 'stg2', 'stg3', 'stg4']);
    expect(doc.environments.find((e) => e.env === 'stg2')?.lock).toMatchObject({ holder: 'cli:tester', reason: 'db migration' });
    expect(doc.environments.filter((e) => e.lock === null)).toHaveLength(3);
    expect(doc.queue).toEqual([]);
  });

  it('someone else locking it is a conflict naming the holder and the reason', () => {
    // Run in the previous test's round: a refused lock changes nothing.
    const other = lockedByOther!;
    expect(other.code).toBe(1);
    expect(other.stdout).toBe('');
    expect(linesOf(other.stderr)).toEqual(['stagebot: stg2 is already held by cli:tester (db migration)']);
  });

  it('unlock stg2 frees it', async () => {
    const res = await run('unlock', 'stg2');
    expect(res).toMatchObject({ code: 0, stderr: '' });
    expect(linesOf(res.stdout)).toEqual(['stg2 unlocked (was held by cli:tester)']);
    const after = await run('list');
    expect([...envLines(after.stdout).values()]).toEqual(['free', 'free', 'free', 'free']);
  });

  it('assets / cancel of a run that does not exist: one line, exit 1', async () => {
    const [assets, assetsJson, cancel] = await notFound;
    for (const [res, id] of [[assets, 'stg1-20261121-a1b2c3'], [cancel, 'stg4-20261121-ffffff']] as const) {
      expect(res.code, id).toBe(1);
      expect(res.stdout, id).toBe('');
      expect(linesOf(res.stderr), id).toEqual([`stagebot: no run ${id}; \`list\` shows the current ones`]);
    }
    expect(assetsJson.code).toBe(1);
    expect(assetsJson.stderr).toBe('');
    expect(JSON.parse(assetsJson.stdout)).toEqual({ ok: false, command: 'assets', result: null, errors: ['no run stg1-20261121-a1b2c3; `list` shows the current ones'] });
  });
});
