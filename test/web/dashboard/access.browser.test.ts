// Who may look and who may act, in real Chromium against the real server: sign-in through a trusted
// proxy's header, GitHub sign-in against a local fake of GitHub's OAuth web flow, a refusal by the
// command executor's permission rules, and refusals of forms without the page's CSRF token.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../../../src/commands/executor.ts';
import { parseArgv } from '../../../src/commands/index.ts';
import { createWorld, useWorlds, waitForState, type World } from '../../pipeline/engine/harness.ts';
import { FakeGithubOAuth } from './fake-github-oauth.ts';
import { collectConsoleErrors, HAS_CHROMIUM, newPage, screenshot, seriousViolations, useDashboards, type ServedDashboard } from './support.ts';

const BOB: Actor = { requester: 'slack:U0BOB', source: 'slack', admin: false };
const ALICE: Actor = { requester: 'web:alice', source: 'web', admin: false };

describe.skipIf(!HAS_CHROMIUM)('dashboard access in Chromium', () => {
  const world = useWorlds(createWorld);
  const dashboards = useDashboards();
  const serve = (w: World, opts?: Parameters<typeof dashboards.serve>[1]) => dashboards.serve(w, opts);
  const cleanups = { push: dashboards.onCleanup };
  let browser: Browser;
  beforeEach(() => {
    browser = dashboards.browser();
  });
  const exec = (s: ServedDashboard, argv: string[], actor: Actor) =>
    s.services.commands.execute(parseArgv(argv, { environments: Object.keys(s.services.config.environments), browsers: ['chrome'] }), actor);

  it('a trusted proxy names the person; the executor refuses what only admins may do; forms without the page token are refused', async () => {
    const w = await world({
      envs: 2,
      configData: (data) => {
        data.dashboard = { anonymousRead: [], auth: 'proxy', proxy: { trustedProxies: ['127.0.0.1/32'] }, admins: ['web:admin'] };
      },
    });
    const s = await serve(w);

    // Not through the proxy (no header): nobody.
    const stranger = await newPage(browser);
    const refused = await stranger.page.goto(s.url);
    expect(refused?.status()).toBe(401);
    await expect(stranger.page.locator('.notice.error').textContent()).resolves.toContain('open the dashboard through the sign-in proxy');
    await stranger.context.close();

    // Bob's kept run, and a lock of Alice's.
    const launched = await exec(s, ['launch', 'stg1', '--keep=2h'], BOB);
    if (launched.kind !== 'launched') throw new Error('not launched');
    const runId = launched.run.id;
    await waitForState(w.store, runId, ['kept'], 30_000);
    await exec(s, ['lock', 'stg2', '--reason=release <b>freeze</b>'], ALICE);

    const { context, page } = await newPage(browser, { headers: { 'X-Forwarded-User': 'alice', 'X-Forwarded-Email': 'alice@acme.example' } });
    const errors = collectConsoleErrors(page);
    await page.goto(s.url);
    await expect(page.locator('.who').textContent()).resolves.toContain('Signed in as alice (alice@acme.example)');
    await expect(page.locator('#env-stg2 + dl').textContent()).resolves.toContain('release <b>freeze</b>');
    expect(await seriousViolations(page)).toEqual([]);

    // Someone else's run: the executor's rule (the same as chat's) refuses, and nothing changes.
    await page.goto(`${s.url}/runs/${runId}`);
    const res = page.waitForResponse((r) => r.url().endsWith(`/runs/${runId}/teardown`));
    await page.getByRole('button', { name: 'Tear down now' }).click();
    expect((await res).status()).toBe(403);
    await expect(page.locator('.notice.error').textContent()).resolves.toContain(`run ${runId} was started by slack:U0BOB; only admins may tear down someone else's run`);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'refused');
    expect((await w.store.getRun(runId))?.state).toBe('kept');

    // A tampered token: refused before the executor sees it; the lock stays.
    await page.goto(s.url);
    const unlock = page.locator('form[action="/environments/stg2/unlock"]');
    await unlock.locator('input[name="_csrf"]').evaluate((input) => input.setAttribute('value', 'forged-token'));
    const forged = page.waitForResponse((r) => r.url().endsWith('/environments/stg2/unlock'));
    await unlock.getByRole('button').click();
    expect((await forged).status()).toBe(403);
    await expect(page.locator('.notice.error').textContent()).resolves.toContain('CSRF check failed');
    expect(await w.store.getLock('stg2')).not.toBeNull();

    // A form on another site that posts here (the proxy adds the header to whatever the browser sends).
    const evil = await evilSite(`${s.url}/environments/stg2/unlock`);
    cleanups.push(evil.close);
    const crossSite = page.waitForResponse((r) => r.url().endsWith('/environments/stg2/unlock'));
    await page.goto(evil.url);
    expect((await crossSite).status()).toBe(403);
    expect(await w.store.getLock('stg2')).not.toBeNull();

    // With the page's own token, Alice may unlock her own lock.
    await page.goto(s.url);
    await page.locator('form[action="/environments/stg2/unlock"]').getByRole('button').click();
    await page.waitForURL(/\?done=unlocked&env=stg2$/);
    await expect(page.locator('.notice.ok').textContent()).resolves.toBe('stg2 is unlocked.');
    expect(await w.store.getLock('stg2')).toBeNull();
    expect(errors.filter((e) => !/status of 403/.test(e))).toEqual([]);
    await context.close();

    // An admin may act on Bob's run.
    const admin = await newPage(browser, { headers: { 'X-Forwarded-User': 'admin' } });
    await admin.page.goto(`${s.url}/runs/${runId}`);
    const before = (await w.store.getRun(runId))!.expiresAt!.getTime();
    await admin.page.getByRole('button', { name: 'Extend' }).click();
    await admin.page.waitForURL(/\?done=extended$/);
    expect((await w.store.getRun(runId))!.expiresAt!.getTime()).toBeGreaterThan(before);
    await admin.context.close();
  });

  it('signs in with GitHub (the OAuth web flow against a fake), only members of the configured organization', async () => {
    const github = await new FakeGithubOAuth().start();
    cleanups.push(() => github.stop());
    github.members.set('acme', new Set(['octocat']));
    const w = await world({
      envs: 2,
      configData: (data) => {
        data.dashboard = { anonymousRead: [], auth: 'github', github: { orgs: ['acme'] }, publicUrl: 'http://127.0.0.1:9', admins: ['github:octocat'] };
      },
    });
    const s = await serve(w, {
      env: { GITHUB_CLIENT_ID: github.clientId, GITHUB_CLIENT_SECRET: github.clientSecret, GITHUB_API_URL: github.apiUrl, STAGEBOT_SESSION_SECRET: 'x'.repeat(40) },
      beforeMount: (url) => (w.config.dashboard.publicUrl = url),
    });

    const { context, page } = await newPage(browser);
    const errors = collectConsoleErrors(page);
    expect((await page.goto(`${s.url}/spend`))?.status()).toBe(401);
    await page.getByRole('link', { name: 'Sign in' }).first().click();
    await page.waitForURL(/\/signin\?returnTo=%2Fspend$/);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'signin');
    await page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    await page.waitForURL(`${github.url}/login/oauth/authorize**`);
    await page.locator('#authorize').click();
    await page.waitForURL(`${s.url}/spend`);
    await expect(page.locator('.who').textContent()).resolves.toContain('Signed in as octocat (admin)');
    expect(github.exchanges).toEqual([{ code: expect.any(String), redirectUri: `${s.url}/auth/github/callback`, ok: true }]);
    const cookie = (await context.cookies()).find((c) => c.name === 'stagebot_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    // Signing out ends it.
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect((await page.goto(s.url))?.status()).toBe(401);
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    await context.close();

    // Not a member: GitHub knows them, stagebot lets them not in.
    github.nextLogin = 'mona';
    const other = await newPage(browser);
    await other.page.goto(`${s.url}/signin`);
    await other.page.getByRole('link', { name: 'Sign in with GitHub' }).click();
    const callback = other.page.waitForResponse((r) => r.url().includes('/auth/github/callback'));
    await other.page.locator('#authorize').click();
    const answer = await callback;
    expect(answer.status()).toBe(403);
    await expect(other.page.locator('.notice.error').textContent()).resolves.toContain('GitHub user mona is not a member of acme');
    // The same callback again (a replayed link) finds no sign-in under way.
    expect((await other.page.goto(answer.url()))?.status()).toBe(400);
    expect((await other.page.goto(s.url))?.status()).toBe(401);
    await other.context.close();
  });
});

/** Another site whose page posts a form to `target` as soon as it loads (no token: it cannot read one). */
async function evilSite(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(`<!doctype html><form id="f" method="post" action="${target}"><input name="x" value="1"></form><script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
