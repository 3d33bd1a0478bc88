// The dashboard's access rules on their own: which network may read unsigned (the client's address,
// taken from X-Forwarded-For only when a trusted proxy sent it), whose proxy header is believed, and
// where a sign-in may send the browser back to. The whole flow in a browser is in test/web/dashboard.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { DashboardConfig } from '../../src/config/index.ts';
import { Access, isRefusal, safeReturnTo, type Viewer } from '../../src/web/access/index.ts';

function config(over: Partial<DashboardConfig> = {}): DashboardConfig {
  return {
    anonymousRead: ['127.0.0.0/8', '::1/128'],
    auth: 'none',
    github: { orgs: [], teams: [] },
    proxy: { trustedProxies: [], userHeader: 'X-Forwarded-User', emailHeader: 'X-Forwarded-Email' },
    admins: [],
    sessionTtl: 3_600_000,
    maxLiveConnections: 10,
    ...over,
  };
}

const access = (over: Partial<DashboardConfig> = {}) => new Access({ config: config(over), sessionSecret: 's'.repeat(32), secure: false, github: null });

function request(peer: string, headers: Record<string, string> = {}): IncomingMessage {
  return { headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])), socket: { remoteAddress: peer }, connection: { remoteAddress: peer }, url: '/runs' } as unknown as IncomingMessage;
}

const res = {} as ServerResponse;
const viewerOf = async (a: Access, req: IncomingMessage): Promise<Viewer | string> => {
  const v = await a.requireViewer(req, res);
  return isRefusal(v) ? `${v.status} ${v.message}` : v;
};

describe('dashboard access', () => {
  it('reads anonymously from the configured networks only (IPv4, IPv6, IPv4-mapped)', async () => {
    const a = access();
    for (const peer of ['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1']) {
      expect(await viewerOf(a, request(peer)), peer).toEqual({ requester: null, name: 'anonymous', via: 'anonymous', admin: false });
    }
    expect(await viewerOf(a, request('10.0.0.8'))).toBe(
      '403 the dashboard is read without signing in only from dashboard.anonymousRead, and 10.0.0.8 is not in it; sign-in is off (dashboard.auth: none)',
    );
  });

  it('X-Forwarded-For counts only from a trusted proxy: nobody writes their way onto loopback', async () => {
    const a = access({ auth: 'proxy', proxy: { ...config().proxy, trustedProxies: ['10.0.0.5/32'] } });
    expect(await viewerOf(a, request('203.0.113.9', { 'X-Forwarded-For': '127.0.0.1' }))).toMatch(/^401 /);
    // Through the proxy the client is the one it names: a proxy on loopback does not open the dashboard to the world.
    expect(await viewerOf(a, request('10.0.0.5', { 'X-Forwarded-For': '203.0.113.9' }))).toMatch(/^401 /);
    expect(await viewerOf(a, request('10.0.0.5', { 'X-Forwarded-For': '127.0.0.1' }))).toMatchObject({ via: 'anonymous' });
  });

  it("believes the proxy's user header from trusted proxies only, and names admins from the config", async () => {
    const a = access({ anonymousRead: [], auth: 'proxy', proxy: { ...config().proxy, trustedProxies: ['10.0.0.5/32'] }, admins: ['web:Admin'] });
    expect(await viewerOf(a, request('10.0.0.5', { 'X-Forwarded-User': 'alice', 'X-Forwarded-Email': 'alice@acme.example' }))).toEqual({
      requester: 'web:alice',
      name: 'alice (alice@acme.example)',
      via: 'proxy',
      admin: false,
    });
    expect(await viewerOf(a, request('10.0.0.5', { 'X-Forwarded-User': 'admin' }))).toMatchObject({ requester: 'web:admin', admin: true });
    expect(await viewerOf(a, request('10.0.0.5', { 'X-Forwarded-Email': 'bob@acme.example' }))).toMatchObject({ requester: 'web:bob@acme.example' });
    // Characters that have no place in a tag or a log line are replaced.
    expect(await viewerOf(a, request('10.0.0.5', { 'X-Forwarded-User': 'eve <script>' }))).toMatchObject({ requester: 'web:eve__script_' });
    // The same header from anyone else is nobody.
    expect(await viewerOf(a, request('192.0.2.7', { 'X-Forwarded-User': 'admin' }))).toMatch(/^401 open the dashboard through the sign-in proxy/);
  });

  it('without auth: proxy the header means nothing', async () => {
    const a = access({ anonymousRead: [], auth: 'none', proxy: { ...config().proxy, trustedProxies: ['10.0.0.5/32'] } });
    expect(await viewerOf(a, request('10.0.0.5', { 'X-Forwarded-User': 'admin' }))).toMatch(/^403 /);
  });

  it('anonymous readers cannot act, and are told how to', async () => {
    const none = await access().requireActor(request('127.0.0.1'), res, 'token');
    expect(none).toMatchObject({ refused: true, status: 403, message: 'the dashboard is read-only here (dashboard.auth: none); act from chat or the CLI' });
    const proxy = await access({ auth: 'proxy', proxy: { ...config().proxy, trustedProxies: ['10.0.0.5/32'] } }).requireActor(request('127.0.0.1'), res, 'token');
    expect(proxy).toMatchObject({ refused: true, status: 401 });
  });

  it('a sign-in goes back only to a path on this site', () => {
    expect(safeReturnTo('/runs/stg1-20261121-a1b2c3?done=1')).toBe('/runs/stg1-20261121-a1b2c3?done=1');
    for (const bad of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/a b', '', undefined, 42]) {
      expect(safeReturnTo(bad), String(bad)).toBe('/');
    }
  });
});
