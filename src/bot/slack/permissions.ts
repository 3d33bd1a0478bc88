// Who may do what from Slack (the `slack:` section of stagebot.yml). Defaults: anyone in a configured
// channel may use every verb; admins may use every verb anywhere, and only they may `sweep --reap`
// and act on someone else's run or lock (the core enforces the latter with `actor.admin`). A verb
// with an `allow` rule is governed by that rule instead of the channel default. Every refusal names
// the rule that refused.
import type { Verb } from '../../commands/index.ts';
import type { SlackConfig } from '../../config/types.ts';
import { channelMention, code, userMention } from './mrkdwn.ts';
import type { UserGroups } from './user-groups.ts';

export interface Who {
  userId: string;
  /** null where Slack gives none (the App Home tab). */
  channelId: string | null;
}

export type Decision = { allowed: true; admin: boolean } | { allowed: false; admin: boolean; rule: string; message: string };

export interface CheckOptions {
  /** `sweep --reap`: admins only. */
  reap?: boolean;
  /** How the command is written in messages; default `/stage`. */
  prefix?: string;
}

export class Permissions {
  private readonly config: SlackConfig;
  private readonly groups: UserGroups;

  constructor(config: SlackConfig | undefined, groups: UserGroups) {
    this.config = config ?? { channels: [], admins: { users: [], userGroups: [] }, allow: {} };
    this.groups = groups;
  }

  /** Listed in `slack.admins`, by user id or user group. */
  async isAdmin(userId: string): Promise<boolean> {
    const { users, userGroups } = this.config.admins;
    if (users.includes(userId)) return true;
    return (await this.groups.firstMembership(userId, userGroups)) !== null;
  }

  async check(verb: Verb, who: Who, opts: CheckOptions = {}): Promise<Decision> {
    const admin = await this.isAdmin(who.userId);
    const shown = code(`${opts.prefix ?? '/stage'} ${verb}${opts.reap ? ' --reap' : ''}`);
    if (verb === 'help' || admin) return { allowed: true, admin };
    if (opts.reap) {
      return {
        allowed: false,
        admin,
        rule: 'slack.admins',
        message: `${shown} is for admins (${code('slack.admins')}); ${code(`${opts.prefix ?? '/stage'} sweep`)} alone shows what would be reaped`,
      };
    }
    // A promotion changes what every environment launching the image gets: admins only, like a reap.
    if (verb === 'promote') return { allowed: false, admin, rule: 'slack.admins', message: `${shown} is for admins (${code('slack.admins')})` };
    const rule = this.config.allow[verb];
    if (rule) {
      if (rule.users.includes(who.userId)) return { allowed: true, admin };
      if (who.channelId !== null && rule.channels.includes(who.channelId)) return { allowed: true, admin };
      if ((await this.groups.firstMembership(who.userId, rule.userGroups)) !== null) return { allowed: true, admin };
      const name = `slack.allow.${verb}`;
      const parts = [
        rule.users.length ? `users ${rule.users.map(userMention).join(', ')}` : '',
        rule.userGroups.length ? `user groups ${rule.userGroups.map(code).join(', ')}` : '',
        rule.channels.length ? `channels ${rule.channels.map(channelMention).join(', ')}` : '',
      ].filter((p) => p !== '');
      return {
        allowed: false,
        admin,
        rule: name,
        message: `${shown} is limited by ${code(name)} to ${parts.length ? parts.join('; ') : 'nobody but admins'}, and you are not covered by it`,
      };
    }
    const { channels } = this.config;
    if (who.channelId !== null && channels.includes(who.channelId)) return { allowed: true, admin };
    if (channels.length === 0) {
      return {
        allowed: false,
        admin,
        rule: 'slack.channels',
        message: `${shown} works in the configured channels, and none is configured (${code('slack.channels')} is empty); an admin adds channel ids to stagebot.yml`,
      };
    }
    return {
      allowed: false,
      admin,
      rule: 'slack.channels',
      message: `${shown} works in the configured channels (${code('slack.channels')}: ${channels.map(channelMention).join(', ')}), and ${who.channelId ? 'this channel is not one of them' : 'this was not asked in a channel'}`,
    };
  }
}
