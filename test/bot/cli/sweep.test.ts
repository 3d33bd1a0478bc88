// `stagebot sweep` and what it tells a script: a sweep that could not look everywhere is not a clean
// bill (exit 3), a reap the per-sweep limit stopped names the CLI's own way to confirm (exit 4), and
// credentials of an account outside the allowlist are refused (exit 5). In-process against the fake
// cloud, and as a child process against an endpoint that refuses every connection.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../../src/app/cli.ts';
import { NO_CREDENTIALS } from '../../../src/aws/errors.ts';
import { EXIT_CODES } from '../../../src/errors.ts';
import { DAY, World, configData } from '../../audit/support/world.ts';
import { createFakeAwsClients, serverError } from '../../fakes/cloud/index.ts';
import { capture, linesOf, stagebot, tempDir } from './support.ts';
import { writeFileSync } from 'node:fs';

const FAILED = 'stg4-20261118-a1b2c3';

let tmp: ReturnType<typeof tempDir>;
let w: World;

beforeEach(async () => {
  tmp = tempDir('stagebot-cli-sweep-');
  w = await World.create();
});
afterEach(async () => {
  await w.store.close();
  tmp.remove();
});

/** The world's config (two regions, stg1 and stg4) with its store in the temp directory. */
function configFile(overrides: Parameters<typeof configData>[0] = {}): string {
  const file = join(tmp.dir, 'stagebot.yml');
  writeFileSync(file, stringify({ ...configData(overrides), store: { sqlitePath: join(tmp.dir, 'stagebot.db') } }));
  return file;
}

async function cli(args: string[], file: string, aws = w.aws): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = capture();
  const err = capture();
  const code = await runCli([...args, '--config', file], {
    stdout: out.stream,
    stderr: err.stream,
    env: { USER: 'alice', STAGEBOT_CONFIG_CACHE: 'off' },
    overrides: { aws, clock: w.cloud.clock },
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** Leaves a failed run's instance in eu-west-1 (stg4) and one in us-east-1 (stg1), as the CLI's store knows them. */
async function leaveTwoOrphans(): Promise<void> {
  // The CLI opens its own store (the file's): the runs must be there, not in the world's in-memory one.
  const { openStore } = await import('../../../src/store/index.ts');
  const store = await openStore({ sqlitePath: join(tmp.dir, 'stagebot.db') });
  const past = new Date(w.now.getTime() - 5 * DAY);
  for (const id of [FAILED, 'stg1-20261118-b2c3d4']) {
    await store.createRun({ id, env: id.slice(0, 4), requester: 'slack:U1', source: 'slack', options: { browsers: ['chrome'] }, createdAt: past, state: 'failed' });
    await store.updateRun(id, { finishedAt: new Date(w.now.getTime() - 3 * DAY) });
  }
  await store.close();
  w.instance(FAILED);
  w.instance('stg1-20261118-b2c3d4', { env: 'stg1' });
}

describe('stagebot sweep', () => {
  it('without credentials: the regions it could not sweep come first, it is marked incomplete, exit 3, and cost keeps no partial count', async () => {
    const file = configFile();
    const noCredentials = createFakeAwsClients(w.cloud, { credentials: 'none' });
    const text = await cli(['sweep', '--dry-run'], file, noCredentials);
    expect(text.code).toBe(EXIT_CODES.incomplete);
    const lines = linesOf(text.stdout);
    expect(lines.slice(0, 2)).toEqual([`could not sweep eu-west-1: ${NO_CREDENTIALS}`, `could not sweep us-east-1: ${NO_CREDENTIALS}`]);
    expect(text.stdout).not.toContain('No orphans');

    const json = await cli(['sweep', '--dry-run', '--output', 'json'], file, noCredentials);
    expect(json.code).toBe(EXIT_CODES.incomplete);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ ok: false, command: 'sweep', result: { complete: false, accountRefused: null }, errors: [`could not sweep eu-west-1: ${NO_CREDENTIALS}`, `could not sweep us-east-1: ${NO_CREDENTIALS}`] });

    const cost = JSON.parse((await cli(['cost', '--output', 'json'], file)).stdout);
    expect(cost.result.orphansAsOf).toBeNull();
    expect(cost.result.newerIncompleteSweepAt).not.toBeNull();
  });

  it('one region failing: the other is reported and marked, the failing one named first, exit 3', async () => {
    const file = configFile();
    await leaveTwoOrphans();
    w.cloud.failNext('GetResources', serverError('tagging', 503), { region: 'us-east-1', times: 50 });
    const res = await cli(['sweep', '--output', 'json'], file);
    expect(res.code).toBe(EXIT_CODES.incomplete);
    const doc = JSON.parse(res.stdout);
    expect(doc.errors).toEqual([expect.stringMatching(/^could not sweep us-east-1: /)]);
    expect(doc.result.orphans.map((o: { region: string }) => o.region)).toEqual(['eu-west-1']);
    expect(doc.result.marked).toBe(1);
  });

  it('a dry run says exactly what it wrote', async () => {
    const file = configFile();
    await leaveTwoOrphans();
    const res = await cli(['sweep', '--dry-run'], file);
    expect(res.code).toBe(0);
    expect(linesOf(res.stdout).at(-1)).toBe(
      "Dry run: nothing was deleted. It wrote the tag stagebot:reap-after on 2 new orphans (their grace period starts; an ALB target's mark is kept in the store, targets carry no tags), and this sweep's record in the store.",
    );
  });

  it('more due than the limit: nothing reaped, the CLI way to confirm (not a Slack button), exit 4; --confirm reaps', async () => {
    const file = configFile({ sweeper: { reapLimit: 1 } });
    await leaveTwoOrphans();
    expect((await cli(['sweep'], file)).code).toBe(0);
    w.cloud.advance(2 * DAY);
    const refused = await cli(['sweep', '--reap'], file);
    expect(refused.code).toBe(EXIT_CODES.needsConfirmation);
    expect(refused.stdout).toContain('Nothing was reaped: 2 orphans are due, more than the limit of 1 per sweep. Confirm with `stagebot sweep --reap --confirm`.');
    expect(refused.stdout).not.toMatch(/Reap now/);
    const json = JSON.parse((await cli(['sweep', '--reap', '--output', 'json'], file)).stdout);
    expect(json.errors).toEqual(['nothing was reaped: 2 orphans are due, more than the limit of 1 per sweep; confirm with `stagebot sweep --reap --confirm`']);

    const confirmed = await cli(['sweep', '--reap', '--confirm'], file);
    expect(confirmed.code).toBe(0);
    expect(confirmed.stdout).toMatch(/^Reaped 2 /m);
  });

  it('credentials of an account outside the allowlist: refused, nothing listed, exit 5', async () => {
    const file = configFile({ aws: { accountAllowlist: ['999999999999'] } });
    await leaveTwoOrphans();
    const res = await cli(['sweep', '--reap', '--confirm'], file);
    expect(res.code).toBe(EXIT_CODES.accountRefused);
    expect(linesOf(res.stdout)[0]).toBe('refused: AWS account 123456789012 is not in aws.accountAllowlist (allowed: 999999999999); nothing was listed, marked or reaped');
    expect(w.cloud.calls.filter((c) => c.service !== 'sts')).toEqual([]);
  });
});

describe('stagebot sweep against a dead endpoint (child process)', () => {
  it('every region is named at the top, the sweep is incomplete, exit 3', async () => {
    // A port nothing listens on any more.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const file = configFile();
    const res = await stagebot(['sweep', '--dry-run', '--config', file], {
      cwd: tmp.dir,
      env: { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example', AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` },
      timeoutMs: 60_000,
    });
    expect(res.code).toBe(EXIT_CODES.incomplete);
    const lines = linesOf(res.stdout);
    expect(lines.slice(0, 2)).toEqual([expect.stringMatching(/^could not sweep eu-west-1: .*ECONNREFUSED/), expect.stringMatching(/^could not sweep us-east-1: .*ECONNREFUSED/)]);
    expect(res.stdout).not.toContain('No orphans');
  }, 70_000);
});
