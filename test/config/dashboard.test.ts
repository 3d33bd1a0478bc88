// The dashboard section: defaults that let nobody in, and sign-in settings that cannot let anyone in by mistake.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { minimalConfig, problemsOf, toYaml } from './helpers.ts';

const withDashboard = (dashboard: unknown) => toYaml({ ...minimalConfig(), dashboard });

describe('dashboard config', () => {
  it('left out: nobody reads without signing in and nobody signs in', () => {
    const config = parseConfig(toYaml(minimalConfig()), {});
    expect(config.dashboard).toEqual({
      anonymousRead: [],
      auth: 'none',
      github: { orgs: [], teams: [] },
      proxy: { trustedProxies: [], userHeader: 'X-Forwarded-User', emailHeader: 'X-Forwarded-Email' },
      admins: [],
      sessionTtl: 12 * 3_600_000,
      maxLiveConnections: 100,
    });
  });

  it('takes IPv4 and IPv6 networks, single addresses, and GitHub sign-in with its organizations', () => {
    const config = parseConfig(withDashboard({ anonymousRead: ['127.0.0.0/8', '::1/128', '10.1.2.3'], auth: 'github', publicUrl: 'https://stagebot.acme.example', github: { teams: ['acme/platform'] }, admins: ['github:octocat', 'web:alice@acme.example'] }), {});
    expect(config.dashboard).toMatchObject({ anonymousRead: ['127.0.0.0/8', '::1/128', '10.1.2.3'], auth: 'github', github: { orgs: [], teams: ['acme/platform'] } });
  });

  it('GitHub sign-in for anyone on GitHub, or without the URL to come back to, is refused', () => {
    expect(problemsOf(withDashboard({ auth: 'github' }))).toEqual([
      'dashboard.github: auth: github needs github.orgs or github.teams (whose members may sign in), e.g. orgs: [acme]',
      'dashboard.publicUrl: auth: github needs publicUrl, the address people open the dashboard at (GitHub sends them back to <publicUrl>/auth/github/callback)',
    ]);
  });

  it('proxy sign-in without the proxies to believe is refused; bad networks, kinds and admins say what is valid', () => {
    const problems = problemsOf(withDashboard({ auth: 'proxy', anonymousRead: ['localhost', '10.0.0.0/33'], admins: ['octocat'] }));
    expect(problems).toContain('dashboard.proxy.trustedProxies: auth: proxy needs the addresses of the proxies whose user header is believed, e.g. ["10.0.0.5/32"]');
    expect(problems.filter((p) => p.startsWith('dashboard.anonymousRead.'))).toHaveLength(2);
    expect(problems.find((p) => p.startsWith('dashboard.anonymousRead.0'))).toContain('an IP address or CIDR like 127.0.0.0/8');
    expect(problems.find((p) => p.startsWith('dashboard.admins.0'))).toContain('a person like github:octocat or web:alice@acme.example');
    expect(problemsOf(withDashboard({ auth: 'oauth' }))[0]).toMatch(/^dashboard\.auth: .*none, github, proxy/);
  });
});
