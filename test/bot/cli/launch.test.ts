// `stagebot launch … --output json` (issue 3's "done when"): the whole pipeline in the foreground,
// progress on stderr, one JSON document on stdout. AWS is the fake cloud, SSH a real loopback sshd.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runCli } from '../../../src/app/cli.ts';
import { createFakeAwsClients } from '../../fakes/cloud/index.ts';
import type { World } from '../../pipeline/engine/harness.ts';
import { cliWorld, type CliWorld } from './cli-world.ts';
import { capture } from './support.ts';

let cw: CliWorld;
let world: World;
let configFile: string;

beforeAll(async () => {
  cw = await cliWorld({ prefix: 'stagebot-cli-launch-' });
  ({ world, configFile } = cw);
});

afterAll(async () => {
  await cw?.close();
});

test('launch runs the pipeline in the foreground and prints one JSON document of the run', async () => {
  const out = capture();
  const err = capture();
  const code = await runCli(['launch', 'stg1', '--browsers=chrome,firefox', '--config', configFile, '--output', 'json'], {
    stdout: out.stream,
    stderr: err.stream,
    env: { ...process.env, USER: 'alice', STAGEBOT_CONFIG_CACHE: 'off' },
    overrides: { aws: world.aws, testRunner: world.testRunner, clock: world.clock },
  });
  expect(code).toBe(0);
  const envelope = JSON.parse(out.text());
  expect(envelope).toMatchObject({ ok: true, command: 'launch', errors: [] });
  const doc = envelope.result;
  expect(doc.state).toBe('succeeded');
  expect(doc.env).toBe('stg1');
  expect(doc.requestedBy).toBe('cli:alice');
  expect(doc.steps.map((s: { step: string }) => s.step)).toEqual(['prepare-tests', 'launch', 'open-ssh', 'wait-ssh', 'arm-switch', 'service-update', 'register', 'tests', 'teardown']);
  expect(doc.steps.filter((s: { state: string }) => s.state === 'failed')).toEqual([]);
  expect(doc.browsers.map((b: { browser: string; outcome: string }) => `${b.browser}:${b.outcome}`)).toEqual(['chrome:passed', 'firefox:passed']);
  const kinds = doc.assets.map((a: { kind: string }) => a.kind);
  expect(kinds).toContain('instance');
  expect(doc.assets.every((a: { deletedAt: string | null }) => a.deletedAt !== null)).toBe(true);
  expect(world.cloud.liveAssetsTaggedWith(doc.runId)).toEqual([]);
  expect(doc.cost.usd).toBeGreaterThan(0);
  // Progress went to stderr as plain lines (not a TTY), never to stdout.
  expect(err.text()).toMatch(new RegExp(`${doc.runId} launch started`));
  expect(err.text()).toMatch(/finished: succeeded/);
});

test('launch without AWS credentials: one line saying what is missing, how to provide it, and that nothing was created', async () => {
  const out = capture();
  const err = capture();
  const code = await runCli(['launch', 'stg2', '--config', configFile], {
    stdout: out.stream,
    stderr: err.stream,
    env: { ...process.env, USER: 'alice', STAGEBOT_CONFIG_CACHE: 'off' },
    overrides: { aws: createFakeAwsClients(world.cloud, { credentials: 'none' }), testRunner: world.testRunner, clock: world.clock },
  });
  expect(code).toBe(1);
  const lines = out.text().trimEnd().split('\n');
  expect(lines).toEqual([expect.stringMatching(/^run stg2-\S+ on stg2: failed — no AWS credentials found \(set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an instance or task role\); nothing was created$/)]);
  // Neither stream repeats the SDK's error or blames a teardown that had nothing to do.
  for (const text of [out.text(), err.text()]) {
    expect(text).not.toContain('CredentialsProviderError');
    expect(text).not.toContain('sweeper');
    expect(text).not.toContain('NOT deleted');
  }
  expect(err.text()).toContain('teardown skipped: nothing was created');
});

test('teardown of a kept run waits for the teardown, shows it as it goes, and ends saying the environment is gone', async () => {
  const io = () => ({ out: capture(), err: capture() });
  const run = async (argv: string[], c: ReturnType<typeof io>) =>
    runCli([...argv, '--config', configFile], {
      stdout: c.out.stream,
      stderr: c.err.stream,
      env: { ...process.env, USER: 'alice', STAGEBOT_CONFIG_CACHE: 'off' },
      overrides: { aws: world.aws, testRunner: world.testRunner, clock: world.clock },
    });
  const launched = io();
  expect(await run(['launch', 'stg2', '--keep=1h', '--output', 'json'], launched)).toBe(0);
  const doc = JSON.parse(launched.out.text()).result;
  expect(doc.state).toBe('kept');
  expect(world.cloud.liveAssetsTaggedWith(doc.runId).length).toBeGreaterThan(0);

  const down = io();
  expect(await run(['teardown', doc.runId], down)).toBe(0);
  const lines = down.out.text().trimEnd().split('\n');
  expect(lines.at(-1)).toMatch(new RegExp(`^run ${doc.runId} is torn down: all \\d+ assets deleted \\(it ended succeeded\\)$`));
  expect(lines[0]).toBe(`run ${doc.runId} on stg2: succeeded`);
  // Its progress went to stderr while it happened.
  expect(down.err.text()).toContain(`${doc.runId} teardown done in`);
  expect(world.cloud.liveAssetsTaggedWith(doc.runId)).toEqual([]);
});
