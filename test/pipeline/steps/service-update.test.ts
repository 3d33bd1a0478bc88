import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RecipeItem } from '../../../src/config/index.ts';
import { RunCancelled, StepFailed } from '../../../src/pipeline/run-errors.ts';
import type { ServiceUpdateOutputs, WaitSshOutputs } from '../../../src/pipeline/step-outputs.ts';
import { RETRY_PAUSE_MS } from '../../../src/pipeline/steps/helpers/recipe-item.ts';
import { serviceUpdateStep } from '../../../src/pipeline/steps/service-update.ts';
import { shellQuote } from '../../../src/ssh/index.ts';
import { processesMatching, uniqueSleep, waitUntilGone } from '../../support/processes.ts';
import { availableSshdKind, startSshd, type TestSshd } from '../../support/sshd.ts';
import type { TestRun } from '../support/run-context.ts';
import { hostTestRun, logLines, loopbackLaunch } from '../support/ssh-run-context.ts';

let sshd: TestSshd;
let dir: string;
const runs: TestRun[] = [];

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stagebot-service-update-'));
});
afterEach(async () => {
  for (const t of runs.splice(0)) await t.close();
  await rm(dir, { recursive: true, force: true });
});

/** A recipe command item (retries 0, no continueOnError unless given). */
function run(name: string, command: string, extra: Partial<RecipeItem> = {}): RecipeItem {
  return { name, run: command, retries: 0, continueOnError: false, ...extra } as RecipeItem;
}

const file = (name: string) => join(dir, name);
const q = (name: string) => shellQuote(file(name));

async function harness(recipe: RecipeItem[], opts: { ref?: string; hostKey?: string } = {}): Promise<TestRun> {
  const pinned: WaitSshOutputs = { host: '127.0.0.1', port: sshd.port, hostKey: opts.hostKey ?? sshd.hostKeyFingerprint, attempts: 1 };
  const t = await hostTestRun({
    sshd,
    recipe,
    outputs: { launch: loopbackLaunch(), 'wait-ssh': pinned },
    requester: 'github:octo-cat',
    ...(opts.ref !== undefined ? { runOptions: { ref: opts.ref } } : {}),
  });
  runs.push(t);
  return t;
}

function failedEvent(h: TestRun) {
  const event = h.events.find((e) => e.type === 'step.failed');
  if (event?.type !== 'step.failed') throw new Error('no step.failed event');
  return event;
}

describe('service-update', () => {
  it.each([
    ['a command after a semicolon', `main; touch /tmp/pwned-${process.pid}`],
    ['command substitution and quotes', `$(id) \`id\` "'$HOME'" && touch ${'/tmp'}/pwned-${process.pid}`],
  ])('hands the ref (%s) to the host byte for byte as STAGEBOT_REF and never runs it', async (_what, ref) => {
    const pwned = `/tmp/pwned-${process.pid}`;
    const h = await harness(
      [
        run('record the ref', `printf '%s' "$STAGEBOT_REF" > ${q('ref')}`),
        run('record the rest', `printf '%s|%s|%s' "$STAGEBOT_RUN_ID" "$STAGEBOT_ENV" "$STAGEBOT_REQUESTED_BY" > ${q('rest')}; echo one; echo two >&2`),
      ],
      { ref },
    );

    const result = await h.runStep(serviceUpdateStep);

    expect(readFileSync(file('ref'), 'utf8')).toBe(ref);
    expect(readFileSync(file('rest'), 'utf8')).toBe(`${h.run.id}|stg3|github:octo-cat`);
    expect(existsSync(pwned)).toBe(false);
    // Output reaches the run log line by line, from both streams.
    expect(logLines(h)).toContain('one');
    expect(logLines(h)).toContain('two');
    const outputs = result.outputs as ServiceUpdateOutputs;
    expect(outputs.items.map((i) => [i.name, i.outcome, i.attempts])).toEqual([
      ['record the ref', 'succeeded', 1],
      ['record the rest', 'succeeded', 1],
    ]);
    expect(outputs.continued).toEqual([]);
  });

  it('passes an empty STAGEBOT_REF when the run names no ref', async () => {
    const h = await harness([run('record', `printf '[%s]' "\${STAGEBOT_REF-unset}" > ${q('ref')}`)]);
    await h.runStep(serviceUpdateStep);
    expect(readFileSync(file('ref'), 'utf8')).toBe('[]');
  });

  it('runs onFailure after a failed attempt and tries again', async () => {
    const h = await harness([
      run('start the app', `echo attempt >> ${q('attempts')}; test -f ${q('marker')} || { echo "not configured yet" >&2; exit 1; }`, {
        retries: 2,
        onFailure: `touch ${q('marker')}`,
      }),
    ]);

    const outputs = (await h.runStep(serviceUpdateStep)).outputs as ServiceUpdateOutputs;

    expect(outputs.items).toEqual([{ name: 'start the app', outcome: 'succeeded', attempts: 2, durationMs: RETRY_PAUSE_MS }]);
    expect(readFileSync(file('attempts'), 'utf8')).toBe('attempt\nattempt\n');
    expect(h.clock.sleeps).toEqual([RETRY_PAUSE_MS]);
    expect(logLines(h)).toContain('not configured yet');
    expect(logLines(h)).toContain('» on failure of start the app');
  });

  it('fails with the item name, exit code and output tail once the retries are used up, and runs nothing after', async () => {
    const h = await harness([
      run('pull the images', `echo pull >> ${q('count')}; for i in $(seq 1 60); do echo "pull line $i"; done; echo "registry said no" >&2; exit 3`, { retries: 2 }),
      run('never reached', `touch ${q('after')}`),
    ]);

    const failure = h.runStep(serviceUpdateStep);

    await expect(failure).rejects.toBeInstanceOf(StepFailed);
    await expect(failure).rejects.toThrow('service-update failed: pull the images: exit code 3 (3 attempts)');
    expect(readFileSync(file('count'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(existsSync(file('after'))).toBe(false);
    const event = failedEvent(h);
    expect(event.error).toBe('pull the images: exit code 3 (3 attempts)');
    const tail = event.tail?.split('\n') ?? [];
    expect(tail).toContain('registry said no');
    expect(tail).toContain('pull line 60');
    expect(tail).not.toContain('pull line 1');
    expect(tail.length).toBeLessThanOrEqual(40);
  });

  it('never echoes a command (a secret filled in from ${VAR} at config load) into logs, events, outputs or errors', async () => {
    const secret = 'tok-5ecret-9f8e7d6c';
    const h = await harness([
      run('deploy', `: ${secret}; echo deployed`),
      run('warm the caches', `: ${secret}; exit 4`, { retries: 1, continueOnError: true, onFailure: `: ${secret}; exit 5` }),
      run('migrate', `: ${secret}; echo migrating; exit 3`, { onFailure: `: ${secret}` }),
    ]);

    const error = await h.runStep(serviceUpdateStep).then(
      () => null,
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(StepFailed);
    const seen = [
      ...logLines(h),
      JSON.stringify(h.events),
      JSON.stringify([...h.outputs.entries()]),
      JSON.stringify(await h.store.getSteps(h.runId)),
      String(error),
      JSON.stringify(error),
      (error as StepFailed).tail ?? '',
    ];
    expect(seen.filter((text) => text.includes(secret))).toEqual([]);
    // What the report shows instead: the items' names.
    expect(logLines(h)).toEqual(expect.arrayContaining(['» deploy', 'deployed', '» on failure of warm the caches', '» migrate', 'migrating']));
    expect(failedEvent(h).error).toBe('migrate: exit code 3');
  });

  it('records an item with continueOnError and goes on', async () => {
    const h = await harness([
      run('warm the caches', 'echo "warmup endpoint missing"; exit 22', { continueOnError: true }),
      run('after', `touch ${q('after')}`),
    ]);

    const outputs = (await h.runStep(serviceUpdateStep)).outputs as ServiceUpdateOutputs;

    expect(outputs.items.map((i) => [i.name, i.outcome])).toEqual([
      ['warm the caches', 'continued'],
      ['after', 'succeeded'],
    ]);
    expect(outputs.continued).toEqual(['warm the caches: exit code 22']);
    expect(existsSync(file('after'))).toBe(true);
  });

  it('kills an item that runs past its timeout', async () => {
    const sleeper = uniqueSleep(30);
    const h = await harness([run('slow', sleeper.command, { timeout: 500 })]);
    await expect(h.runStep(serviceUpdateStep)).rejects.toThrow('service-update failed: slow: timed out after 500ms');
    expect(await waitUntilGone(sleeper.pattern, 5_000)).toEqual([]);
  });

  it('on cancel kills the remote command and stops promptly, recorded as cancelled', async () => {
    const sleeper = uniqueSleep(30);
    const h = await harness([run('long migration', `echo started; ${sleeper.command}`), run('never reached', `touch ${q('after')}`)]);
    const cancel = new AbortController();

    const step = h.runStep(serviceUpdateStep, { signal: cancel.signal });
    const settled = step.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await until(() => logLines(h).includes('started') && processesMatching(sleeper.pattern).length > 0);
    cancel.abort(new RunCancelled('slack:U0TESTER'));

    const outcome = await settled;
    expect(outcome).toBeInstanceOf(RunCancelled);
    expect(await waitUntilGone(sleeper.pattern, 10_000)).toEqual([]);
    expect(existsSync(file('after'))).toBe(false);
    expect(h.events.find((e) => e.type === 'step.cancelled')).toMatchObject({ step: 'service-update', by: 'slack:U0TESTER', reason: null });
    expect(h.events.find((e) => e.type === 'step.failed')).toBeUndefined();
  });

  // Only OpenSSH: the fallback server's shell is a child of the test process itself.
  it.skipIf(availableSshdKind() !== 'openssh')('connects again when a command took the connection down, and retries it', async () => {
    // The first attempt kills the sshd process serving this connection, like an item that restarts sshd.
    const h = await harness([
      run('restart sshd', `echo try >> ${q('tries')}; test -f ${q('marker')} && exit 0; touch ${q('marker')}; kill -9 $PPID; sleep 5`, { retries: 1 }),
      run('after', `touch ${q('after')}`),
    ]);

    const outputs = (await h.runStep(serviceUpdateStep)).outputs as ServiceUpdateOutputs;

    expect(outputs.items.map((i) => [i.name, i.outcome, i.attempts])).toEqual([
      ['restart sshd', 'succeeded', 2],
      ['after', 'succeeded', 1],
    ]);
    expect(readFileSync(file('tries'), 'utf8')).toBe('try\ntry\n');
    expect(logLines(h)).toContain(`the SSH connection to 127.0.0.1:${sshd.port} closed; connecting again`);
  });

  it('refuses a host whose key differs from the one wait-ssh pinned, before running anything', async () => {
    const other = 'SHA256:' + 'B'.repeat(43);
    const h = await harness([run('first', `touch ${q('first')}`)], { hostKey: other });
    await expect(h.runStep(serviceUpdateStep)).rejects.toThrow(`host key of 127.0.0.1:${sshd.port} changed (expected ${other}`);
    expect(existsSync(file('first'))).toBe(false);
  });

  it('is skipped when the environment has no recipe', async () => {
    const h = await harness([]);
    const result = await h.runStep(serviceUpdateStep);
    expect(result.skipped).toBe('stg3 has no serviceUpdate recipe');
  });
});

describe('service-update waitHttp', () => {
  let server: Server;
  let port: number;
  let answer: () => 'empty' | number;
  let requests = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      const what = answer();
      // An empty reply: the connection closes before a single byte of a response.
      if (what === 'empty') req.socket.destroy();
      else res.writeHead(what).end('ok');
    });
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server?.close(resolve));
  });
  beforeEach(() => {
    requests = 0;
  });

  const wait = (name: string, extra: Partial<RecipeItem> = {}, tries = 40): RecipeItem =>
    ({ name, waitHttp: { url: `http://127.0.0.1:${port}/`, status: 200, retries: tries, interval: 15_000 }, retries: 0, continueOnError: false, ...extra }) as RecipeItem;

  it('waits through empty replies until the service answers 200, pausing on the fake clock', async () => {
    let n = 0;
    answer = () => (++n <= 2 ? 'empty' : 200);
    const h = await harness([wait('wait for the Mentor SPA')]);

    const outputs = (await h.runStep(serviceUpdateStep)).outputs as ServiceUpdateOutputs;

    expect(outputs.items.map((i) => [i.name, i.outcome, i.attempts])).toEqual([['wait for the Mentor SPA', 'succeeded', 1]]);
    expect(requests).toBe(3);
    // Its 15 s pauses were the fake clock's, not real ones.
    expect(h.clock.sleeps).toEqual([15_000, 15_000]);
    const url = `http://127.0.0.1:${port}/`;
    expect(logLines(h).filter((l) => l.startsWith(url))).toEqual([`${url}: empty reply (try 1 of 40)`, `${url}: empty reply (try 2 of 40)`, `${url}: HTTP 200 (try 3 of 40)`]);
  });

  it('restarts the service with onFailure when a whole wait fails, then waits again', async () => {
    const marker = file('restarted');
    answer = () => (existsSync(marker) ? 200 : 'empty');
    const h = await harness([wait('wait for the Mentor SPA', { retries: 1, onFailure: `touch ${shellQuote(marker)}` }, 3)]);

    const outputs = (await h.runStep(serviceUpdateStep)).outputs as ServiceUpdateOutputs;

    expect(outputs.items.map((i) => [i.outcome, i.attempts])).toEqual([['succeeded', 2]]);
    expect(requests).toBe(4);
    // Two pauses between the three tries of the first wait, then the pause before the second attempt.
    expect(h.clock.sleeps).toEqual([15_000, 15_000, RETRY_PAUSE_MS]);
  });

  it('fails with what the service last answered', async () => {
    answer = () => 503;
    const h = await harness([wait('wait for the API', {}, 2)]);
    await expect(h.runStep(serviceUpdateStep)).rejects.toThrow(
      new RegExp(`service-update failed: wait for the API: http://127\\.0\\.0\\.1:${port}/ did not answer 200 after 2 attempts over .*: HTTP 503$`),
    );
    expect(failedEvent(h).tail).toContain('HTTP 503 (try 2 of 2)');
  });
});

async function until(condition: () => boolean, withinMs = 5_000): Promise<void> {
  const deadline = performance.now() + withinMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
