// Every `stagebot` command with --output json prints one document of one shape,
// { ok, command, result, errors }, with errors (one line each) empty exactly when ok: every verb of
// the command language, help, --version, config check, doctor, serve, the foreground launch (the run
// document), failures and usage errors. In-process against the fake cloud and a loopback sshd; doctor
// and serve as child processes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { runCli } from '../../../src/app/cli.ts';
import { EXIT_CODES } from '../../../src/errors.ts';
import { startServe, exitWithin, killServers } from '../../app/support.ts';
import type { World } from '../../pipeline/engine/harness.ts';
import { cliWorld, type CliWorld } from './cli-world.ts';
import { capture, stagebot, writeExampleConfig } from './support.ts';

/** The one shape: exactly these four keys; each error one non-empty line; ok exactly when no errors. */
const Document = z
  .strictObject({
    ok: z.boolean(),
    command: z.string().min(1),
    result: z.unknown(),
    errors: z.array(z.string().regex(/^[^\n]+$/)),
  })
  .refine((d) => d.ok === (d.errors.length === 0), { message: 'ok must be true exactly when errors is empty' });
type Doc = z.infer<typeof Document> & { result: any };

let cw: CliWorld;
let world: World;
let dir: string;
let configFile: string;

beforeAll(async () => {
  cw = await cliWorld({ envs: 4, prefix: 'stagebot-cli-json-' });
  ({ world, dir, configFile } = cw);
});

afterAll(async () => {
  killServers();
  await cw?.close();
});

/** `stagebot …args --output json` in-process; the parsed, shape-checked document and the exit code. */
async function json(...args: string[]): Promise<{ code: number; doc: Doc; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await runCli([...args, '--config', configFile, '--output', 'json'], {
    stdout: out.stream,
    stderr: err.stream,
    env: { USER: 'alice', STAGEBOT_CONFIG_CACHE: 'off' },
    overrides: { aws: world.aws, testRunner: world.testRunner, clock: world.clock },
  });
  const text = out.text();
  // One document, nothing else on stdout.
  const doc = Document.parse(JSON.parse(text)) as Doc;
  expect(Object.keys(doc).sort(), args.join(' ')).toEqual(['command', 'errors', 'ok', 'result']);
  return { code, doc, stderr: err.text() };
}

describe('one JSON shape for every command', () => {
  let kept = '';
  let finished = '';

  it('help in every form, and --version', async () => {
    for (const args of [['--help'], ['help'], ['help', 'sweep'], ['lock', '--help'], ['--help', 'doctor'], ['help', 'serve']]) {
      const { code, doc } = await json(...args);
      expect(code, args.join(' ')).toBe(0);
      expect(doc, args.join(' ')).toMatchObject({ ok: true, command: 'help', errors: [] });
      expect(typeof doc.result.text).toBe('string');
    }
    expect((await json('help', 'sweep')).doc.result).toMatchObject({ topic: 'sweep', text: expect.stringContaining('stagebot:reap-after') });
    const version = await json('--version');
    expect(version.doc).toMatchObject({ ok: true, command: 'version', result: { version: expect.stringMatching(/^\d+\.\d+\.\d+/) } });
  });

  it('config check', async () => {
    const { code, doc } = await json('config', 'check');
    expect(code).toBe(0);
    expect(doc).toMatchObject({ ok: true, command: 'config check', result: { path: configFile, environments: ['stg1', 'stg2', 'stg3', 'stg4'] } });
  });

  it('iam-policy: the policy is the result', async () => {
    const { code, doc } = await json('iam-policy');
    expect(code).toBe(0);
    expect(doc).toMatchObject({ ok: true, command: 'iam-policy', result: { Version: '2012-10-17', Statement: expect.any(Array) } });
    const refused = await json('iam-policy', 'extra');
    expect(refused.code).toBe(EXIT_CODES.usage);
    expect(refused.doc).toMatchObject({ ok: false, command: 'iam-policy', result: null, errors: [expect.stringMatching(/^iam-policy takes no arguments/)] });
  });

  it('launch in the foreground: the run document', async () => {
    const { code, doc } = await json('launch', 'stg1', '--browsers=chrome');
    expect(code).toBe(0);
    expect(doc).toMatchObject({ ok: true, command: 'launch', errors: [], result: { state: 'succeeded', env: 'stg1' } });
    finished = doc.result.runId;
    const keptRun = await json('launch', 'stg2', '--keep=1h');
    expect(keptRun.doc).toMatchObject({ ok: true, command: 'launch', result: { state: 'kept' } });
    kept = keptRun.doc.result.runId;
  }, 60_000);

  it('launch --dry-run', async () => {
    const { code, doc } = await json('launch', 'stg3', '--dry-run');
    expect(doc.command).toBe('launch');
    expect(doc.result).toMatchObject({ env: 'stg3', checks: expect.any(Array) });
    expect(code).toBe(doc.ok ? 0 : EXIT_CODES.failed);
  });

  it('status, list, assets (with what each asset cost)', async () => {
    for (const args of [['status'], ['status', 'stg2'], ['list']]) {
      const { code, doc } = await json(...args);
      expect(code, args.join(' ')).toBe(0);
      expect(doc.result.environments.map((e: { env: string }) => e.env), args.join(' ')).toEqual(args[1] ? ['stg2'] : ['stg1', 'stg2', 'stg3', 'stg4']);
    }
    const run = await json('status', finished);
    expect(run.doc).toMatchObject({ ok: true, command: 'status', result: { runId: finished, state: 'succeeded' } });

    const assets = await json('assets', finished);
    expect(assets.doc).toMatchObject({ ok: true, command: 'assets', result: { runId: finished } });
    const instance = assets.doc.result.assets.find((a: { kind: string }) => a.kind === 'instance');
    expect(instance.costUsd).toBeGreaterThan(0);
    expect(assets.doc.result.cost.usd).toBeGreaterThanOrEqual(instance.costUsd);
  });

  it('extend, teardown and cancel of a kept run', async () => {
    expect((await json('extend', kept, '--by=1h')).doc).toMatchObject({ ok: true, command: 'extend', result: { runId: kept } });
    expect((await json('teardown', kept)).doc).toMatchObject({ ok: true, command: 'teardown', result: { runId: kept } });
    const again = await json('cancel', kept);
    expect(again.code).toBe(EXIT_CODES.failed);
    expect(again.doc).toMatchObject({ ok: false, command: 'cancel', result: null, errors: [expect.stringMatching(/already/)] });
  }, 60_000);

  it('lock and unlock, and their refusals', async () => {
    expect((await json('lock', 'stg3', '--reason=demo')).doc).toMatchObject({ ok: true, command: 'lock', result: { lock: { env: 'stg3', reason: 'demo' } } });
    expect((await json('unlock', 'stg3')).doc).toMatchObject({ ok: true, command: 'unlock', result: { env: 'stg3' } });
    const refused = await json('unlock', 'stg3');
    expect(refused.code).toBe(EXIT_CODES.failed);
    expect(refused.doc).toMatchObject({ ok: false, command: 'unlock', result: null, errors: ['stg3 is not locked'] });
  });

  it('sweep and cost', async () => {
    const sweep = await json('sweep');
    expect(sweep.code).toBe(0);
    expect(sweep.doc).toMatchObject({ ok: true, command: 'sweep', result: { complete: true, unswept: [], mode: 'dry-run' } });
    const reap = await json('sweep', '--reap');
    expect(reap.doc).toMatchObject({ ok: true, command: 'sweep', result: { mode: 'reap' } });
    const cost = await json('cost', '--by=env');
    expect(cost.doc).toMatchObject({ ok: true, command: 'cost', result: { by: 'env', total: expect.any(Object) } });
  });

  it('usage errors and failures', async () => {
    const cases: [string[], number, string, RegExp][] = [
      [['lauch'], EXIT_CODES.usage, 'lauch', /did you mean `launch`/],
      [['launch', 'stg9'], EXIT_CODES.usage, 'launch', /unknown environment `stg9`/],
      [['help', 'swep'], EXIT_CODES.usage, 'help', /did you mean `sweep`/],
      [['config', 'chek'], EXIT_CODES.usage, 'config', /unknown config subcommand/],
      [['assets', 'stg1-20261121-ffffff'], EXIT_CODES.failed, 'assets', /^no run stg1-20261121-ffffff/],
      [['list', '--output', 'yaml'], EXIT_CODES.usage, 'list', /--output must be text or json/],
    ];
    for (const [args, code, command, error] of cases) {
      const res = await json(...args);
      expect(res.code, args.join(' ')).toBe(code);
      expect(res.doc, args.join(' ')).toMatchObject({ ok: false, command, result: null });
      expect(res.doc.errors, args.join(' ')).toEqual([expect.stringMatching(error)]);
      expect(res.stderr, args.join(' ')).toBe('');
    }
  });

  it('an invalid config: every problem is an error line', async () => {
    const broken = join(dir, 'broken.yml');
    writeFileSync(broken, 'installation: 42\nenvironments: {}\n');
    const out = capture();
    const code = await runCli(['list', '--config', broken, '--output=json'], { stdout: out.stream, stderr: capture().stream, env: { STAGEBOT_CONFIG_CACHE: 'off' } });
    expect(code).toBe(EXIT_CODES.failed);
    const doc = Document.parse(JSON.parse(out.text())) as Doc;
    expect(doc).toMatchObject({ ok: false, command: 'list', result: null });
    expect(doc.errors.length).toBeGreaterThan(0);
    for (const line of doc.errors) expect(line).toMatch(/^[a-zA-Z.[\]0-9]+: /);
  });
});

describe('one JSON shape: doctor and serve (child processes)', () => {
  it('doctor', async () => {
    const home = mkdtempSync(join(tmpdir(), 'stagebot-cli-json-doctor-'));
    try {
      writeExampleConfig(home);
      const res = await stagebot(['doctor', '--output', 'json'], { cwd: home });
      const doc = Document.parse(JSON.parse(res.stdout)) as Doc;
      expect(res.code).toBe(EXIT_CODES.failed);
      expect(doc).toMatchObject({ ok: false, command: 'doctor', result: { checks: expect.any(Array) } });
      expect(doc.errors).toContainEqual(expect.stringMatching(/^aws credentials: no AWS credentials found/));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('serve, once stopped', async () => {
    const home = mkdtempSync(join(tmpdir(), 'stagebot-cli-json-serve-'));
    try {
      writeExampleConfig(home);
      const server = await startServe({ cwd: home, args: ['--output', 'json'] });
      server.child.kill('SIGTERM');
      const exit = await exitWithin(server, 20_000);
      expect(exit.code).toBe(0);
      const doc = Document.parse(JSON.parse(server.stdout())) as Doc;
      expect(doc).toEqual({ ok: true, command: 'serve', result: null, errors: [] });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 40_000);
});
