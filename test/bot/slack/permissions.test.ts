import { describe, expect, it } from 'vitest';
import type { SlackConfig } from '../../../src/config/types.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { Permissions } from '../../../src/bot/slack/permissions.ts';
import { UserGroups } from '../../../src/bot/slack/user-groups.ts';

const CONFIG: SlackConfig = {
  channels: ['C0STAGING'],
  admins: { users: ['U0ADMIN'], userGroups: ['S0PLATFORM'] },
  allow: {
    lock: { users: ['U0LOCKER'], userGroups: ['S0QA'], channels: ['C0QA'] },
    cost: { users: [], userGroups: [], channels: [] },
  },
};

function groups(members: Record<string, string[]>, calls: string[] = []): UserGroups {
  return new UserGroups({
    logger: silentLogger(),
    lookup: async (id) => {
      calls.push(id);
      const m = members[id];
      if (!m) throw new Error('no_such_subteam');
      return m;
    },
  });
}

const perms = (config: SlackConfig | undefined = CONFIG) => new Permissions(config, groups({ S0PLATFORM: ['U0PLATFORM'], S0QA: ['U0QA'] }));

describe('Slack permissions', () => {
  it('lets anyone in a configured channel use the default verbs, and refuses elsewhere naming slack.channels', async () => {
    const p = perms();
    for (const verb of ['launch', 'status', 'list', 'assets', 'cancel'] as const) {
      expect(await p.check(verb, { userId: 'U0ANY', channelId: 'C0STAGING' })).toEqual({ allowed: true, admin: false });
    }
    const refused = await p.check('launch', { userId: 'U0ANY', channelId: 'C0ELSE' });
    expect(refused).toMatchObject({ allowed: false, rule: 'slack.channels' });
    expect(refused.allowed === false && refused.message).toContain('<#C0STAGING>');
    expect(refused.allowed === false && refused.message).toContain('`/stage launch`');
  });

  it('always allows help', async () => {
    expect(await perms().check('help', { userId: 'U0ANY', channelId: null })).toMatchObject({ allowed: true });
  });

  it('treats admins (by user or user group) as allowed anywhere, with admin set', async () => {
    const p = perms();
    expect(await p.check('launch', { userId: 'U0ADMIN', channelId: 'C0ELSE' })).toEqual({ allowed: true, admin: true });
    expect(await p.check('sweep', { userId: 'U0PLATFORM', channelId: null }, { reap: true })).toEqual({ allowed: true, admin: true });
    expect(await p.isAdmin('U0QA')).toBe(false);
  });

  it('keeps sweep --reap for admins, even in a configured channel', async () => {
    const refused = await perms().check('sweep', { userId: 'U0ANY', channelId: 'C0STAGING' }, { reap: true });
    expect(refused).toMatchObject({ allowed: false, rule: 'slack.admins' });
    expect(refused.allowed === false && refused.message).toContain('`/stage sweep` alone');
    expect(await perms().check('sweep', { userId: 'U0ANY', channelId: 'C0STAGING' })).toMatchObject({ allowed: true });
  });

  it('governs a verb with an allow rule by that rule alone: its users, groups and channels', async () => {
    const p = perms();
    expect(await p.check('lock', { userId: 'U0LOCKER', channelId: 'C0ELSE' })).toMatchObject({ allowed: true });
    expect(await p.check('lock', { userId: 'U0QA', channelId: null })).toMatchObject({ allowed: true });
    expect(await p.check('lock', { userId: 'U0ANY', channelId: 'C0QA' })).toMatchObject({ allowed: true });
    // The default channel is not enough once the verb has its own rule.
    const refused = await p.check('lock', { userId: 'U0ANY', channelId: 'C0STAGING' });
    expect(refused).toMatchObject({ allowed: false, rule: 'slack.allow.lock' });
    const message = refused.allowed === false ? refused.message : '';
    expect(message).toContain('<@U0LOCKER>');
    expect(message).toContain('`S0QA`');
    expect(message).toContain('<#C0QA>');
    // An empty rule lets only admins through, and says so.
    const cost = await p.check('cost', { userId: 'U0ANY', channelId: 'C0STAGING' });
    expect(cost.allowed === false && cost.message).toContain('nobody but admins');
  });

  it('refuses everyone but admins when no channel is configured, saying what to configure', async () => {
    const p = new Permissions(undefined, groups({}));
    const refused = await p.check('launch', { userId: 'U0ANY', channelId: 'C0STAGING' });
    expect(refused.allowed === false && refused.message).toContain('`slack.channels` is empty');
  });
});

describe('UserGroups', () => {
  it('caches a group for its TTL, then asks Slack again', async () => {
    let now = 0;
    const calls: string[] = [];
    const g = new UserGroups({ logger: silentLogger(), ttlMs: 60_000, now: () => now, lookup: async (id) => (calls.push(id), ['U1']) });
    expect(await g.firstMembership('U1', ['S1'])).toBe('S1');
    expect(await g.firstMembership('U2', ['S1'])).toBeNull();
    expect(calls).toEqual(['S1']);
    now = 61_000;
    await g.firstMembership('U1', ['S1']);
    expect(calls).toEqual(['S1', 'S1']);
  });

  it('treats a group Slack cannot read as empty, and asks again sooner', async () => {
    let now = 0;
    const calls: string[] = [];
    const g = new UserGroups({
      logger: silentLogger(),
      now: () => now,
      failureTtlMs: 5_000,
      lookup: async (id) => {
        calls.push(id);
        throw new Error('missing_scope');
      },
    });
    expect(await g.firstMembership('U1', ['S1'])).toBeNull();
    now = 4_000;
    await g.firstMembership('U1', ['S1']);
    expect(calls).toHaveLength(1);
    now = 6_000;
    await g.firstMembership('U1', ['S1']);
    expect(calls).toHaveLength(2);
  });

  it('shares one lookup between concurrent checks', async () => {
    const calls: string[] = [];
    const g = new UserGroups({ logger: silentLogger(), lookup: async (id) => (calls.push(id), ['U1']) });
    await Promise.all([g.firstMembership('U1', ['S1']), g.firstMembership('U2', ['S1']), g.firstMembership('U3', ['S1'])]);
    expect(calls).toEqual(['S1']);
  });
});
