// `stagebot serve` / `npm start` as a real process: endpoints, fronts, logs, secrets, SIGTERM.
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { serve } from '../../src/app/serve.ts';
import { ConfigError } from '../../src/errors.ts';
import { linesOf, stagebot, tempDir, writeExampleConfig, type Result } from '../bot/cli/support.ts';
import { exitWithin, http, killServers, startServe, type ServeChild } from './support.ts';

afterEach(() => killServers());
afterAll(() => killServers());

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-secret-value',
  SLACK_SIGNING_SECRET: 'slack-signing-secret-value',
  APP_ID: '12345',
  PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----private-key-value',
  WEBHOOK_SECRET: 'webhook-secret-value',
  STAGEBOT_SSH_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----ssh-key-value',
};

describe('stagebot serve without stagebot.yml and without secrets', () => {
  let cwd: ReturnType<typeof tempDir>;
  let server: ServeChild;
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  let portTaken: Result;
  const responses = new Map<string, { status: number; body: string; type: string | null }>();

  beforeAll(async () => {
    cwd = tempDir('stagebot-serve-');
    server = await startServe({ cwd: cwd.dir });
    for (const [key, path, method] of [
      ['healthz', '/healthz', 'GET'],
      ['readyz', '/readyz', 'GET'],
      ['slack', '/slack/events', 'POST'],
      ['github', '/api/github/webhooks', 'POST'],
      ['unknown', '/wp-login.php', 'GET'],
      ['dashboard', '/', 'GET'],
    ] as const) {
      responses.set(key, await http(`${server.url}${path}`, { method, ...(method === 'POST' ? { body: '{}' } : {}) }));
    }
    responses.set('metrics', await http(`${server.url}/metrics`));
    // A second server on the same port, while this one holds it.
    portTaken = await stagebot(['serve'], { cwd: cwd.dir, env: { PORT: new URL(server.url).port, HOST: '127.0.0.1' } });
    server.child.kill('SIGTERM');
    exit = await exitWithin(server, 10_000);
  }, 30_000);

  afterAll(() => cwd?.remove());

  it('listens on 127.0.0.1 on the port it was given (PORT=0: a free one)', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('logs only JSON lines on stderr and nothing on stdout', () => {
    expect(server.stdout()).toBe('');
    const lines = server.logLines();
    expect(lines.length).toBeGreaterThan(4);
    for (const line of lines) {
      expect(line).toMatchObject({ name: 'stagebot', level: expect.stringMatching(/^(trace|debug|info|warn|error|fatal)$/), msg: expect.any(String) });
      expect(Number.isNaN(Date.parse(String(line.time)))).toBe(false);
    }
  });

  it('warns that it runs on the bundled example and says how to make your own', () => {
    const warnings = server.logLines().filter((l) => l.level === 'warn' && String(l.msg).includes('stagebot.example.yml'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('cp stagebot.example.yml stagebot.yml');
  });

  it('logs one line per disabled front, naming what to set', () => {
    const slack = server.logLines().filter((l) => l.front === 'slack');
    const github = server.logLines().filter((l) => l.front === 'github');
    expect(slack).toHaveLength(1);
    expect(slack[0]!.msg).toMatch(/^slack front disabled: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET/);
    expect(github).toHaveLength(1);
    expect(github[0]!.msg).toBe('github front disabled: set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH), WEBHOOK_SECRET');
  });

  it('/healthz and /readyz answer 200 (the SQLite store is reachable)', () => {
    expect(responses.get('healthz')).toMatchObject({ status: 200, body: '{"ok":true}' });
    expect(responses.get('readyz')).toMatchObject({ status: 200, body: '{"ok":true}' });
  });

  it('the disabled fronts answer 503 with the reason naming the variables', () => {
    const slack = responses.get('slack')!;
    expect(slack.status).toBe(503);
    expect(JSON.parse(slack.body).error).toMatch(/^slack front is disabled: set SLACK_BOT_TOKEN/);
    const github = responses.get('github')!;
    expect(github.status).toBe(503);
    expect(JSON.parse(github.body).error).toBe('github front is disabled: set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH), WEBHOOK_SECRET');
  });

  it('an unknown path is 404', () => {
    expect(responses.get('unknown')!.status).toBe(404);
  });

  it('serves the dashboard at / to this machine on the example config: an empty board that explains itself', () => {
    const board = responses.get('dashboard')!;
    expect(board.status).toBe(200);
    expect(board.type).toBe('text/html; charset=utf-8');
    expect(board.body).toContain('<h1>Environments</h1>');
    expect(board.body).toContain('Nothing has run yet.');
    for (const env of ['stg1', 'stg2', 'stg3', 'stg4']) expect(board.body).toContain(`id="env-${env}"`);
  });

  it('/metrics is Prometheus text with the requests served so far', () => {
    const metrics = responses.get('metrics')!;
    expect(metrics.status).toBe(200);
    expect(metrics.type).toMatch(/^text\/plain/);
    expect(metrics.body).toContain('# TYPE stagebot_http_requests_total counter');
    expect(metrics.body).toMatch(/^stagebot_http_requests_total\{route="healthz",status="200"\} 1$/m);
    expect(metrics.body).toMatch(/^stagebot_http_requests_total\{route="slack",status="503"\} 1$/m);
    // Every path no other route has is the dashboard's: its pages, and its 404 page.
    expect(metrics.body).toMatch(/^stagebot_http_requests_total\{route="dashboard",status="404"\} 1$/m);
    expect(metrics.body).toMatch(/^stagebot_http_requests_total\{route="dashboard",status="200"\} 1$/m);
    // Process metrics come with the stagebot_ prefix, from this process's own registry.
    expect(metrics.body).toContain('stagebot_process_cpu_user_seconds_total');
  });

  it('a second server on the same port exits 1 with one line saying so', () => {
    const port = new URL(server.url).port;
    expect(portTaken.code).toBe(1);
    expect(portTaken.stdout).toBe('');
    const plain = linesOf(portTaken.stderr).filter((l) => !l.startsWith('{'));
    expect(plain).toEqual([`stagebot: 127.0.0.1 port ${port} is already in use; stop the other server or set PORT to a free port`]);
  });

  it('SIGTERM: exit 0, "stopped" logged last, the port closed', async () => {
    expect(exit).toEqual({ code: 0, signal: null });
    const msgs = server.logLines().map((l) => String(l.msg));
    expect(msgs.at(-1)).toBe('stopped');
    expect(msgs).toContainEqual(expect.stringMatching(/^shutting down/));
    const stopping = server.logLines().find((l) => String(l.msg).startsWith('shutting down'));
    expect(stopping?.signal).toBe('SIGTERM');
    // The bounded waits of a stop fit inside the 10 s docker stop and Kubernetes allow before SIGKILL,
    // with room left for closing the store.
    expect(Number(stopping?.httpCloseMs) + Number(stopping?.engineGraceMs)).toBeLessThanOrEqual(8_000);
    await expect(fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });
});

describe('stagebot serve without HOST', () => {
  let cwd: ReturnType<typeof tempDir>;
  beforeAll(() => {
    cwd = tempDir('stagebot-serve-host-');
  });
  afterAll(() => cwd?.remove());

  /** Starts a server, stops it at once (it must stop cleanly), and returns its log lines. */
  async function startAndStop(env: Record<string, string | undefined> = {}): Promise<Record<string, unknown>[]> {
    const server = await startServe({ cwd: cwd.dir, env });
    server.child.kill('SIGTERM');
    expect((await exitWithin(server, 10_000)).code).toBe(0);
    return server.logLines();
  }

  it('listens on 127.0.0.1 only, as the README says, and logs the address it bound', async () => {
    const listening = (await startAndStop({ HOST: undefined })).find((l) => l.msg === 'stagebot listening');
    expect(listening).toMatchObject({ address: '127.0.0.1', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
  });

  it('HOST=0.0.0.0 (the Docker image) listens on every interface and says so', async () => {
    const listening = (await startAndStop({ HOST: '0.0.0.0' })).find((l) => l.msg === 'stagebot listening');
    expect(listening).toMatchObject({ address: '0.0.0.0' });
  });

  it('warns at start about an instance type the price table does not know', async () => {
    writeExampleConfig(cwd.dir, 'stagebot.yml', (t) => t.replace(/(stg1:\n(?: {4}.*\n)*? {4}instanceType: )t3\.2xlarge/, '$1t3.2xlargee'));
    const warnings = (await startAndStop()).filter((l) => l.level === 'warn' && String(l.msg).includes('instanceType'));
    expect(warnings.map((l) => l.msg)).toEqual([
      'environments.stg1.instanceType: unknown instance type "t3.2xlargee" (did you mean t3.2xlarge?): not in the bundled price table; if it is right, price it under pricing.instances.us-east-1',
    ]);
  });
});

describe('stagebot serve with every secret set', () => {
  let cwd: ReturnType<typeof tempDir>;

  beforeAll(() => {
    cwd = tempDir('stagebot-serve-');
  });
  afterAll(() => cwd?.remove());

  it('never writes a secret value, even at LOG_LEVEL=debug, and stops cleanly on SIGTERM', async () => {
    const server = await startServe({ cwd: cwd.dir, env: { ...SECRETS, LOG_LEVEL: 'debug' } });
    const bodies = [
      await http(`${server.url}/slack/events`, { method: 'POST', body: 'token=xoxb-secret-value', headers: { authorization: `Bearer ${SECRETS.SLACK_BOT_TOKEN}` } }),
      await http(`${server.url}/api/github/webhooks`, { method: 'POST', body: '{}' }),
      await http(`${server.url}/readyz`),
    ];
    server.child.kill('SIGTERM');
    const exit = await exitWithin(server, 10_000);
    expect(exit.code).toBe(0);
    const everything = [server.stdout(), server.stderr(), ...bodies.map((b) => b.body)].join('\n');
    for (const [name, value] of Object.entries(SECRETS)) {
      if (name === 'APP_ID') continue; // an identifier, not a secret
      expect(everything, name).not.toContain(value);
    }
    // Configured fronts that this build cannot serve yet say so (not "set …").
    const slack = server.logLines().find((l) => l.front === 'slack');
    expect(slack?.msg).not.toMatch(/set SLACK_/);
  });
});

describe('stagebot serve with a usable GitHub App configuration', () => {
  let cwd: ReturnType<typeof tempDir>;

  beforeAll(() => {
    cwd = tempDir('stagebot-serve-gh-');
  });
  afterAll(() => cwd?.remove());

  it('mounts the GitHub front: a webhook with a bad signature is refused by signature, not 503', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const server = await startServe({ cwd: cwd.dir, env: { APP_ID: '12345', PRIVATE_KEY: privateKey, WEBHOOK_SECRET: 'webhook-secret-value' } });
    const body = JSON.stringify({ action: 'created' });
    const forged = await http(`${server.url}/api/github/webhooks`, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issue_comment',
        'x-github-delivery': '00000000-0000-4000-8000-000000000001',
        'x-hub-signature-256': `sha256=${createHmac('sha256', 'not-the-secret').update(body).digest('hex')}`,
      },
    });
    server.child.kill('SIGTERM');
    expect((await exitWithin(server, 10_000)).code).toBe(0);
    expect(forged.status).toBeGreaterThanOrEqual(400);
    expect(forged.status).toBeLessThan(500);
    expect(server.logLines().find((l) => l.front === 'github')?.msg).toBe('github front enabled');
    expect(server.stderr()).not.toContain(privateKey.split('\n')[1]);
  });
});

describe('stagebot serve start-up failures', () => {
  let cwd: ReturnType<typeof tempDir>;
  beforeAll(() => {
    cwd = tempDir('stagebot-serve-');
  });
  afterAll(() => cwd?.remove());

  it('an unreachable DATABASE_URL: exit 1, one line naming DATABASE_URL, the password never shown', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const res = await stagebot(['serve'], { cwd: cwd.dir, env: { PORT: '0', HOST: '127.0.0.1', DATABASE_URL: 'postgres://postgres:sekret@127.0.0.1:1/test' } });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(`${res.stdout}${res.stderr}`).not.toContain('sekret');
    const plain = linesOf(res.stderr).filter((l) => !l.startsWith('{'));
    expect(plain).toEqual([expect.stringMatching(/^stagebot: Cannot connect to Postgres at 127\.0\.0\.1:1\/test .*check DATABASE_URL/)]);
  });

  it('a PORT that is not a number: a one-line error before anything is opened', async () => {
    await expect(serve({ configPath: join(cwd.dir, 'missing.yml'), env: { PORT: 'http' } })).rejects.toThrow(
      new ConfigError('PORT must be a port number from 0 to 65535, got `http`'),
    );
    await expect(serve({ configPath: join(cwd.dir, 'missing.yml'), env: { PORT: '70000' } })).rejects.toThrow(/^PORT must be a port number from 0 to 65535, got `70000`$/);
  });
});

const PG_URL = process.env['TEST_DATABASE_URL'];

describe.skipIf(!PG_URL)('stagebot serve on Postgres (TEST_DATABASE_URL)', () => {
  const schema = `stagebot_serve_${randomBytes(4).toString('hex')}`;
  let databaseUrl = '';
  let password = '';
  let cwd: ReturnType<typeof tempDir>;

  beforeAll(async () => {
    cwd = tempDir('stagebot-serve-');
    const u = new URL(PG_URL!);
    // A password to look for in the output; servers with trust auth accept any.
    if (!u.password) u.password = `sekret${randomBytes(3).toString('hex')}`;
    password = decodeURIComponent(u.password);
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: u.toString() });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
    u.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = u.toString();
  });

  afterAll(async () => {
    cwd?.remove();
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: databaseUrl.replace(/\?.*$/, '') });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  });

  it('opens the store on Postgres, logs where with the password masked, and is ready', async () => {
    const server = await startServe({ cwd: cwd.dir, env: { DATABASE_URL: databaseUrl } });
    const ready = await http(`${server.url}/readyz`);
    server.child.kill('SIGTERM');
    expect((await exitWithin(server, 10_000)).code).toBe(0);
    expect(ready.status).toBe(200);
    const open = server.logLines().find((l) => l.msg === 'store open');
    expect(open?.store).toBe('postgres');
    expect(String(open?.where)).toContain(':***@');
    expect(server.stderr()).not.toContain(password);
  });
});
