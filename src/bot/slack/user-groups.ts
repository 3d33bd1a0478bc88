// Slack user-group membership (usergroups.users.list), cached briefly: a permission check must not
// cost a Slack round trip per click, and a membership change should count within a minute.
import type { Logger } from '../../observability/logger.ts';

export interface UserGroupsOptions {
  lookup: (groupId: string) => Promise<string[]>;
  logger: Logger;
  ttlMs?: number;
  /** A failed lookup is remembered this long (as "no members") so an outage does not add a call per request. */
  failureTtlMs?: number;
  now?: () => number;
}

interface Entry {
  members: Promise<Set<string>>;
  expiresAt: number;
}

export class UserGroups {
  private readonly cache = new Map<string, Entry>();
  private readonly opts: Required<Omit<UserGroupsOptions, 'logger' | 'lookup'>> & Pick<UserGroupsOptions, 'logger' | 'lookup'>;

  constructor(opts: UserGroupsOptions) {
    this.opts = { ttlMs: 60_000, failureTtlMs: 10_000, now: Date.now, ...opts };
  }

  /** The first of `groups` that `userId` belongs to, or null. */
  async firstMembership(userId: string, groups: readonly string[]): Promise<string | null> {
    const members = await Promise.all(groups.map((g) => this.members(g)));
    const index = members.findIndex((m) => m.has(userId));
    return index < 0 ? null : (groups[index] ?? null);
  }

  private members(groupId: string): Promise<Set<string>> {
    const now = this.opts.now();
    const cached = this.cache.get(groupId);
    if (cached && cached.expiresAt > now) return cached.members;
    const entry: Entry = {
      expiresAt: now + this.opts.ttlMs,
      members: this.opts.lookup(groupId).then(
        (users) => new Set(users),
        (err: unknown) => {
          entry.expiresAt = this.opts.now() + this.opts.failureTtlMs;
          this.opts.logger.warn({ err, groupId }, 'could not read Slack user group members; treating the group as empty');
          return new Set<string>();
        },
      ),
    };
    this.cache.set(groupId, entry);
    return entry.members;
  }
}
