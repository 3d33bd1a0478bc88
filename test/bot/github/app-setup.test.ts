// What the front needs from its surroundings: app.yml subscribes to exactly the webhooks the code
// handles, the private key is read the ways Probot reads it, and installation tokens are found.
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { githubApp } from '../../../src/bot/github/app.ts';
import type { GithubAppDeps } from '../../../src/bot/github/app-deps.ts';
import { createProbot } from '../../../src/bot/github/index.ts';
import { installationTokenFor } from '../../../src/app/github-installation-token.ts';
import { loadPrivateKey } from '../../../src/bot/github/private-key.ts';
import { ConfigError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { APP_ID, appKeys } from './support/front-world.ts';
import { FakeGithub } from './support/fake-github.ts';

describe('app.yml', () => {
  it('subscribes to exactly the webhook events the app registers handlers for', async () => {
    const manifest = parse(await readFile(join(import.meta.dirname, '../../../app.yml'), 'utf8')) as { default_events: string[]; default_permissions: Record<string, string> };
    const registered: string[] = [];
    const recorder = { on: (name: string) => void registered.push(name) };
    await githubApp({} as GithubAppDeps)(recorder as never, { cwd: '.', addHandler: () => undefined });
    const events = [...new Set(registered.map((n) => n.split('.')[0]))].sort();
    expect(events).toEqual([...manifest.default_events].sort());
    // Check runs, comments + reactions, pulls.get, collaborator permission.
    expect(manifest.default_permissions).toMatchObject({ checks: 'write', issues: 'write', pull_requests: 'read', metadata: 'read' });
  });
});

describe('loadPrivateKey', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagebot-gh-key-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a PEM as is, with escaped newlines, as base64, or from PRIVATE_KEY_PATH', async () => {
    const pem = appKeys().privateKey;
    expect(loadPrivateKey({ privateKey: pem, privateKeyPath: undefined })).toBe(pem);
    expect(loadPrivateKey({ privateKey: pem.replaceAll('\n', '\\n'), privateKeyPath: undefined }).trim()).toBe(pem.trim());
    expect(loadPrivateKey({ privateKey: Buffer.from(pem).toString('base64'), privateKeyPath: undefined })).toBe(pem);
    const path = join(dir, 'app.pem');
    await writeFile(path, pem);
    expect(loadPrivateKey({ privateKey: undefined, privateKeyPath: path })).toBe(pem);
  });

  it('says what to fix for a key that is not one, or a path that leads nowhere', async () => {
    expect(() => loadPrivateKey({ privateKey: 'hunter2', privateKeyPath: undefined })).toThrow(ConfigError);
    expect(() => loadPrivateKey({ privateKey: 'hunter2', privateKeyPath: undefined })).toThrow(/PRIVATE_KEY is not a PEM private key/);
    expect(() => loadPrivateKey({ privateKey: undefined, privateKeyPath: join(dir, 'missing.pem') })).toThrow(/PRIVATE_KEY_PATH/);
    const notKey = join(dir, 'not-a-key.pem');
    await writeFile(notKey, 'just text');
    expect(() => loadPrivateKey({ privateKey: undefined, privateKeyPath: notKey })).toThrow(/is not a PEM private key/);
  });
});

describe('installationTokenFor', () => {
  it('finds the App installation of a repository and returns its token; an uninstalled repository is a ConfigError', async () => {
    const { privateKey, publicKey } = appKeys();
    const github = await new FakeGithub({ appId: APP_ID, publicKey }).start();
    try {
      github.installations.set('acme/e2e', 77);
      const settings = { enabled: true as const, appId: APP_ID, privateKey, privateKeyPath: undefined, webhookSecret: 'x', apiUrl: github.url };
      const probot = createProbot(settings, { apiUrl: github.url, logger: silentLogger(), octokit: { retry: false, throttle: false } });
      let clock = Date.now();
      const getToken = installationTokenFor(probot, 'acme/e2e', () => clock);
      const [token, same] = await Promise.all([getToken(), getToken()]);
      expect(token).toMatch(/^ghs_fake_77_/);
      expect(same).toBe(token);
      expect(await getToken()).toBe(token);
      expect(github.calls('GET', /^\/repos\/acme\/e2e\/installation$/)).toHaveLength(1);
      const minted = github.calls('POST', /^\/app\/installations\/77\/access_tokens$/);
      expect(minted).toHaveLength(1);
      expect(minted[0]!.body).toEqual({ repositories: ['e2e'] });
      // Near its expiry (the fake gives an hour) the token is replaced; the installation is remembered.
      clock += 56 * 60_000;
      const renewed = await getToken();
      expect(renewed).not.toBe(token);
      expect(github.calls('GET', /^\/repos\/acme\/e2e\/installation$/)).toHaveLength(1);
      await expect(installationTokenFor(probot, 'acme/other')()).rejects.toThrow(/not installed on acme\/other/);
      expect(() => installationTokenFor(probot, 'no-slash')).toThrow(ConfigError);
    } finally {
      await github.stop();
    }
  });
});
