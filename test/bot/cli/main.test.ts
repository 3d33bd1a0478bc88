// runCli in-process, for the paths that need no store: help routing, usage errors, JSON errors.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHelp } from '../../../src/bot/cli/help.ts';
import { runCli, type AppCliIo as CliIo } from '../../../src/app/cli.ts';
import { helpText } from '../../../src/commands/index.ts';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { linesOf, STACK_TRACE, tempDir, writeExampleConfig } from './support.ts';

let cwd: ReturnType<typeof tempDir>;
beforeAll(() => {
  cwd = tempDir();
});
afterAll(() => cwd.remove());

function sink(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer | string, _e, cb) {
        chunks.push(String(chunk));
        cb();
      },
    }),
    text: () => chunks.join(''),
  };
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}, dir = cwd.dir): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const io: CliIo = { stdout: out.stream, stderr: err.stream, env: { ...env }, cwd: dir };
  const code = await runCli(argv, io);
  return { code, stdout: out.text(), stderr: err.text() };
}

describe('help for the process commands', () => {
  it.each([
    [['doctor', '--help'], 'doctor'],
    [['config', '--help'], 'config'],
    [['config', 'check', '-h'], 'config'],
    [['serve', '--help'], 'serve'],
    [['help', 'serve'], 'serve'],
    [['help', 'doctor'], 'doctor'],
    [['help', 'config'], 'config'],
  ])('%j explains the command and runs nothing', async (argv, topic) => {
    const res = await cli(argv);
    expect(res).toEqual({ code: 0, stdout: cliHelp(topic), stderr: '' });
    expect(res.stdout).toMatch(new RegExp(`^stagebot ${topic}\\b`));
  });

  it('`help` alone is the same as --help: process commands included', async () => {
    const alone = await cli(['help']);
    expect(alone).toEqual({ code: 0, stdout: `${cliHelp()}\n`, stderr: '' });
    expect((await cli([])).stdout).toBe(alone.stdout);
    expect(alone.stdout).toContain('doctor');
  });

  it('`<verb> --help` and `--help <verb>` show that verb of the command language', async () => {
    const expected = `${helpText('lock', { prefix: 'stagebot' })}\n`;
    expect(await cli(['lock', '--help'])).toEqual({ code: 0, stdout: expected, stderr: '' });
    expect(await cli(['--help', 'lock'])).toEqual({ code: 0, stdout: expected, stderr: '' });
  });

  it('--version wins over everything else', async () => {
    expect((await cli(['doctor', '--version'])).stdout).toMatch(/^stagebot \d+\.\d+\.\d+\n$/);
  });
});

describe('usage errors', () => {
  it.each([
    [['config'], 'stagebot: unknown config subcommand; use `stagebot config check [--config FILE]`'],
    [['config', 'chek'], 'stagebot: unknown config subcommand `chek`; use `stagebot config check [--config FILE]`'],
    [['list', '--output', 'yaml'], 'stagebot: --output must be text or json, got `yaml`'],
    [['list', '--config'], 'stagebot: --config needs a value, e.g. --config stagebot.yml'],
    [['help', 'lauch'], 'stagebot: unknown command `lauch` — did you mean `launch`? (commands: launch, status, list, cancel, teardown, extend, retest, assets, sweep, cost, lock, unlock, images, bake, promote, help)'],
  ])('%j: exit 2 and one line on stderr', async (argv, line) => {
    const res = await cli(argv);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(linesOf(res.stderr)).toEqual([line]);
  });

  it('a malformed run id is a usage error that shows what a run id looks like, before any store is opened', async () => {
    const res = await cli(['cancel', 'yesterday']);
    expect(res.code).toBe(2);
    expect(linesOf(res.stderr)).toEqual(['stagebot: `yesterday` is not a run id; a run id looks like `stg4-20261121-a1b2c3`']);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(cwd.dir)).toEqual([]);
  });

  it('with --output json the error is one JSON document on stdout and stderr stays empty', async () => {
    const res = await cli(['launch', 'stg9', '--output', 'json']);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toEqual({ ok: false, command: 'launch', result: null, errors: ['unknown environment `stg9`; known: stg1, stg2, stg3, stg4'] });
  });

  it('a --config file that does not exist is exit 1 naming the file', async () => {
    const res = await cli(['config', 'check', '--config', 'nope.yml']);
    expect(res.code).toBe(1);
    expect(linesOf(res.stderr)).toEqual(['stagebot: --config nope.yml: file not found']);
  });
});

describe('config check: where the configuration comes from', () => {
  it('./stagebot.yml in the working directory is the default, without a warning', async () => {
    const dir = tempDir();
    try {
      writeExampleConfig(dir.dir, 'stagebot.yml', (t) => t.replace('installation: acme-staging', 'installation: from-cwd'));
      const res = await cli(['config', 'check'], {}, dir.dir);
      expect(res.code).toBe(0);
      expect(res.stderr).toBe('');
      expect(linesOf(res.stdout)).toContain('installation  from-cwd');
    } finally {
      dir.remove();
    }
  });

  it('--config wins over STAGEBOT_CONFIG', async () => {
    const dir = tempDir();
    try {
      const a = writeExampleConfig(dir.dir, 'a.yml', (t) => t.replace('installation: acme-staging', 'installation: from-flag'));
      const b = writeExampleConfig(dir.dir, 'b.yml', (t) => t.replace('installation: acme-staging', 'installation: from-env'));
      const res = await cli(['config', 'check', '--config', a], { STAGEBOT_CONFIG: b }, dir.dir);
      expect(res.code).toBe(0);
      expect(linesOf(res.stdout)).toContain('installation  from-flag');
    } finally {
      dir.remove();
    }
  });

  it('a ${VAR} that is set is used', async () => {
    const dir = tempDir();
    try {
      const file = writeExampleConfig(dir.dir, 'v.yml', (t) => t.replace('installation: acme-staging', 'installation: ${STAGEBOT_TEST_INSTALLATION}'));
      const res = await cli(['config', 'check', '--config', file], { STAGEBOT_TEST_INSTALLATION: 'from-the-env' }, dir.dir);
      expect(res.code).toBe(0);
      expect(linesOf(res.stdout)).toContain('installation  from-the-env');
    } finally {
      dir.remove();
    }
  });

  it('a file that is not YAML is one line naming it, not a parser dump', async () => {
    const file = join(cwd.dir, 'garbage.yml');
    writeFileSync(file, 'installation: [unclosed\n  - : :\n');
    try {
      const res = await cli(['config', 'check', '--config', file]);
      expect(res.code).toBe(1);
      expect(res.stdout).toBe('');
      // The file, then where in it and what is wrong.
      expect(linesOf(res.stderr)).toEqual(['stagebot: garbage.yml is not valid YAML', expect.stringMatching(/^ {2}garbage\.yml:1:\d+: \S/)]);
      expect(res.stderr).not.toMatch(STACK_TRACE);
    } finally {
      rmSync(file);
    }
  });
});

describe('lock and unlock in-process, on a SQLite file in a temp directory', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    dir = tempDir();
    writeExampleConfig(dir.dir);
  });
  afterAll(() => dir.remove());
  const env = { USER: 'tester' };

  it('unlocking a free environment says it is not locked (exit 1)', async () => {
    const res = await cli(['unlock', 'stg3'], env, dir.dir);
    expect(res.code).toBe(1);
    expect(linesOf(res.stderr)).toEqual(['stagebot: stg3 is not locked']);
  });

  it('the holder locking again is a no-op that keeps the reason; --output json is the lock', async () => {
    expect((await cli(['lock', 'stg1', '--reason=load test'], env, dir.dir)).code).toBe(0);
    const again = await cli(['lock', 'stg1', '--output', 'json'], env, dir.dir);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, command: 'lock', result: { lock: { env: 'stg1', holder: 'cli:tester', reason: 'load test' } }, errors: [] });
    expect((await cli(['unlock', 'stg1'], env, dir.dir)).stdout).toBe('stg1 unlocked (was held by cli:tester)\n');
  });
});

describe('a command loads only the parts it needs', () => {
  it('with a github-workflow runner and no GitHub credentials, list and cost work; only launch says what is missing', async () => {
    const dir = tempDir();
    try {
      writeExampleConfig(dir.dir, 'stagebot.yml', (t) =>
        t.replace(/ {4}kind: command\n {4}command: .*\n {4}cwd: \.\/e2e\n/, '    kind: github-workflow\n    repository: acme/e2e\n    workflow: playwright.yml\n    ref: main\n'),
      );
      const env = { USER: 'tester', STAGEBOT_CONFIG_CACHE: 'off' };
      expect((await cli(['list'], env, dir.dir)).code).toBe(0);
      expect((await cli(['cost'], env, dir.dir)).code).toBe(0);
      const launch = await cli(['launch', 'stg1'], env, dir.dir);
      expect(launch.code).toBe(1);
      expect(linesOf(launch.stderr)).toContain('stagebot: tests.runner.kind github-workflow needs the GitHub App to be configured (GitHub credentials are missing)');
    } finally {
      dir.remove();
    }
  });
});
