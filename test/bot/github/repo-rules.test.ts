import { describe, expect, it } from 'vitest';
import { allowedRepository, canWrite, isBot, isFork } from '../../../src/bot/github/repo-rules.ts';
import { reactionFor } from '../../../src/bot/github/reactions.ts';

const github = {
  repositories: {
    'Acme/WebApp': { pool: ['stg1'], browsers: ['chrome'], allowForks: false },
    'acme/other': { pool: ['stg2'], browsers: ['firefox'], allowForks: true },
  },
};

describe('allowedRepository', () => {
  it('finds a repository whatever the case, and nothing outside the list', () => {
    expect(allowedRepository(github, 'acme/webapp')?.settings.pool).toEqual(['stg1']);
    expect(allowedRepository(github, 'ACME/OTHER')?.name).toBe('acme/other');
    expect(allowedRepository(github, 'acme/webapp2')).toBeNull();
    expect(allowedRepository(github, 'evil/acme/webapp')).toBeNull();
    expect(allowedRepository(undefined, 'acme/webapp')).toBeNull();
  });
});

describe('canWrite', () => {
  it('accepts write, maintain and admin only; no answer means no', () => {
    expect(canWrite({ permission: 'write', role_name: 'write' })).toBe(true);
    expect(canWrite({ permission: 'write', role_name: 'maintain' })).toBe(true);
    expect(canWrite({ permission: 'admin', role_name: 'admin' })).toBe(true);
    expect(canWrite({ permission: 'read', role_name: 'triage' })).toBe(false);
    expect(canWrite({ permission: 'read', role_name: 'read' })).toBe(false);
    expect(canWrite({ permission: 'none' })).toBe(false);
    expect(canWrite({})).toBe(false);
    expect(canWrite(null)).toBe(false);
  });
});

describe('isFork', () => {
  const pr = (head: string | null, base: string) => ({ head: { repo: head === null ? null : { full_name: head } }, base: { repo: { full_name: base } } });
  it('is a fork when the head lives elsewhere or its repository is gone', () => {
    expect(isFork(pr('acme/webapp', 'acme/webapp'))).toBe(false);
    expect(isFork(pr('Acme/WebApp', 'acme/webapp'))).toBe(false);
    expect(isFork(pr('mallory/webapp', 'acme/webapp'))).toBe(true);
    expect(isFork(pr(null, 'acme/webapp'))).toBe(true);
  });
});

describe('isBot', () => {
  it('recognises App accounts by type or by the [bot] suffix', () => {
    expect(isBot({ login: 'stagebot[bot]', type: 'Bot' })).toBe(true);
    expect(isBot({ login: 'renovate[bot]', type: 'User' })).toBe(true);
    expect(isBot({ login: 'octocat', type: 'User' })).toBe(false);
    expect(isBot(null)).toBe(true);
  });
});

describe('reactionFor', () => {
  it('follows the run: seen, started, then the outcome', () => {
    expect(reactionFor('queued', false)).toBe('eyes');
    expect(reactionFor('running', false)).toBe('rocket');
    expect(reactionFor('tearing_down', true)).toBe('rocket');
    expect(reactionFor('succeeded', true)).toBe('+1');
    expect(reactionFor('failed', false)).toBe('-1');
    // A cancel is no verdict: the run's reaction is taken away, not turned into 👎.
    expect(reactionFor('cancelled', false)).toBeNull();
    expect(reactionFor('kept', true)).toBe('+1');
    expect(reactionFor('kept', false)).toBe('-1');
  });
});
