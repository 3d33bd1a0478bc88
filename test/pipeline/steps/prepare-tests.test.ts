import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunCancelled, StepFailed } from '../../../src/pipeline/run-errors.ts';
import { cacheKvKey, prepareEnv, prepareTestsStep } from '../../../src/pipeline/steps/prepare-tests.ts';
import { shellQuote } from '../../../src/ssh/index.ts';
import { openStore, type Store } from '../../../src/store/index.ts';
import { processesMatching, uniqueSleep, waitUntilGone } from '../../support/processes.ts';
import type { TestRun } from '../support/run-context.ts';
import { hostTestRun, logLines } from '../support/ssh-run-context.ts';

let dir: string;
let store: Store;
const runs: TestRun[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagebot-prepare-'));
  store = await openStore({ sqlitePath: ':memory:' });
});
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const t of runs.splice(0)) await t.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const file = (name: string) => join(dir, name);
const q = (name: string) => shellQuote(file(name));

async function harness(prepare: { command: string; cacheKey?: string; timeout?: number } | undefined): Promise<TestRun> {
  const t = await hostTestRun({
    store,
    outputs: {},
    configure: (config) => {
      config.tests.prepare = prepare;
    },
  });
  runs.push(t);
  return t;
}

describe('prepare-tests', () => {
  it('is skipped when nothing is configured', async () => {
    const h = await harness(undefined);
    const result = await h.runStep(prepareTestsStep);
    expect(result.skipped).toBe('nothing to prepare');
    expect(h.events.map((e) => e.type)).toEqual(['step.started', 'step.skipped']);
  });

  it('builds a cache key once; a later run with the same key skips the build', async () => {
    const prepare = { command: `echo "$STAGEBOT_RUN_ID" >> ${q('builds')}; echo "image built"`, cacheKey: 'e2e-image-v1' };
    const first = await harness(prepare);

    const built = await first.runStep(prepareTestsStep);

    expect(built.skipped).toBeUndefined();
    expect(built.outputs).toMatchObject({ cacheKey: 'e2e-image-v1', cached: false });
    expect(logLines(first)).toContain('image built');
    expect(readFileSync(file('builds'), 'utf8')).toBe(`${first.run.id}\n`);
    expect((await store.kvGet(cacheKvKey('e2e-image-v1')))?.value).toMatchObject({ runId: first.run.id });

    const second = await harness(prepare);
    const cached = await second.runStep(prepareTestsStep);

    expect(cached.skipped).toBe('cached (e2e-image-v1)');
    expect(second.events.at(-1)).toEqual({ type: 'step.skipped', step: 'prepare-tests', reason: 'cached (e2e-image-v1)' });
    expect(readFileSync(file('builds'), 'utf8')).toBe(`${first.run.id}\n`);

    // Another key is another build.
    const third = await harness({ ...prepare, cacheKey: 'e2e-image-v2' });
    expect((await third.runStep(prepareTestsStep)).skipped).toBeUndefined();
    expect(readFileSync(file('builds'), 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('builds every time when there is no cache key', async () => {
    const prepare = { command: `echo x >> ${q('builds')}` };
    await (await harness(prepare)).runStep(prepareTestsStep);
    await (await harness(prepare)).runStep(prepareTestsStep);
    expect(readFileSync(file('builds'), 'utf8')).toBe('x\nx\n');
  });

  it("withholds the bot's credentials from the command", async () => {
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI');
    vi.stubEnv('SLACK_BOT_TOKEN', 'xoxb-secret');
    vi.stubEnv('STAGEBOT_TEST_PASSWORD_CHROME', 'hunter2');
    vi.stubEnv('LC_ALL', 'C.UTF-8');
    const h = await harness({ command: `env > ${q('env')}` });

    await h.runStep(prepareTestsStep);

    const seen = readFileSync(file('env'), 'utf8');
    expect(seen).toContain(`STAGEBOT_RUN_ID=${h.run.id}\n`);
    expect(seen).toContain(`PATH=${process.env.PATH}\n`);
    expect(seen).toContain('LC_ALL=C.UTF-8\n');
    expect(seen).not.toContain('wJalrXUtnFEMI');
    expect(seen).not.toContain('xoxb-secret');
    expect(seen).not.toContain('hunter2');
  });

  it('fails with the exit code and the end of the output, and remembers no cache key', async () => {
    const h = await harness({
      command: 'for i in $(seq 1 80); do echo "step $i"; done; echo "\u001b[31mERROR: failed to solve: no space left on device\u001b[0m" >&2; exit 2',
      cacheKey: 'e2e-image-v1',
    });

    const failure = h.runStep(prepareTestsStep);

    await expect(failure).rejects.toBeInstanceOf(StepFailed);
    await expect(failure).rejects.toThrow('prepare-tests failed: tests.prepare.command: exit code 2');
    const event = h.events.find((e) => e.type === 'step.failed');
    expect(event?.type === 'step.failed' && event.tail?.split('\n')).toEqual([
      ...Array.from({ length: 39 }, (_, i) => `step ${i + 42}`),
      'ERROR: failed to solve: no space left on device',
    ]);
    expect(await store.kvGet(cacheKvKey('e2e-image-v1'))).toBeNull();
  });

  it('never echoes the command (a secret filled in from ${VAR} at config load) into logs, events, outputs or errors', async () => {
    const secret = 'tok-5ecret-1a2b3c4d';
    const built = await harness({ command: `: ${secret}; echo "image built"` });
    await built.runStep(prepareTestsStep);
    const failed = await harness({ command: `: ${secret}; echo "no space left" >&2; exit 2` });
    const error = await failed.runStep(prepareTestsStep).then(
      () => null,
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(StepFailed);
    const seen = [
      ...[built, failed].flatMap((h) => [...logLines(h), JSON.stringify(h.events), JSON.stringify([...h.outputs.entries()])]),
      JSON.stringify(await store.getSteps(built.runId)),
      JSON.stringify(await store.getSteps(failed.runId)),
      String(error),
      JSON.stringify(error),
      (error as StepFailed).tail ?? '',
    ];
    expect(seen.filter((text) => text.includes(secret))).toEqual([]);
    // What the log shows instead: a fixed description, then the command's own output.
    expect(logLines(built)).toEqual(['» tests.prepare.command', 'image built']);
    expect(String(error)).toContain('tests.prepare.command: exit code 2');
  });

  it('stops the command at tests.prepare.timeout', async () => {
    const sleeper = uniqueSleep(30);
    const h = await harness({ command: sleeper.command, timeout: 300 });
    await expect(h.runStep(prepareTestsStep)).rejects.toThrow('prepare-tests failed: tests.prepare.command: timed out after 300ms');
    expect(processesMatching(sleeper.pattern)).toEqual([]);
  });

  it('on cancel stops the whole process group promptly', async () => {
    const sleeper = uniqueSleep(30);
    // The sleep runs in a child of a child: only a kill of the group reaches it.
    const h = await harness({ command: `echo started; sh -c ${shellQuote(`${sleeper.command}; touch ${file('after')}`)}` });

    const cancel = new AbortController();
    const settled = h.runStep(prepareTestsStep, { signal: cancel.signal }).then(
      () => 'resolved',
      (err: unknown) => err,
    );
    const deadline = performance.now() + 5_000;
    const running = () => logLines(h).includes('started') && processesMatching(sleeper.pattern).length > 0;
    while (!running() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(running()).toBe(true);
    cancel.abort(new RunCancelled('slack:U0TESTER'));

    expect(await settled).toBeInstanceOf(RunCancelled);
    expect(await waitUntilGone(sleeper.pattern, 10_000)).toEqual([]);
    expect(existsSync(file('after'))).toBe(false);
  });
});

describe('prepareEnv', () => {
  it('keeps only the allowlist and adds the run id', () => {
    const env = prepareEnv({ PATH: '/usr/bin', HOME: '/home/bot', DOCKER_HOST: 'tcp://builder:2376', LC_CTYPE: 'C', GITHUB_TOKEN: 'ghs_x', DATABASE_URL: 'postgres://u:p@h/db' }, 'stg4-20261121-a1b2c3');
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/bot', DOCKER_HOST: 'tcp://builder:2376', LC_CTYPE: 'C', STAGEBOT_RUN_ID: 'stg4-20261121-a1b2c3' });
  });
});
