import { describe, expect, it } from 'vitest';
import { ENV_NAME_PATTERN, isRunId, newRunId, runIdEnv } from '../../src/domain/run-id.ts';

describe('newRunId', () => {
  it('is env, UTC date and 6 hex', () => {
    expect(newRunId('stg4', new Date('2026-11-21T23:30:00-02:00'), () => 'a1b2c3')).toBe('stg4-20261122-a1b2c3');
    expect(newRunId('stg-eu-1', new Date('2026-01-02T00:00:00Z'), () => '000000')).toBe('stg-eu-1-20260102-000000');
  });

  it('makes valid, different ids with the default randomness', () => {
    const now = new Date('2026-11-21T10:00:00Z');
    const ids = new Set(Array.from({ length: 50 }, () => newRunId('stg1', now)));
    expect(ids.size).toBeGreaterThan(45);
    for (const id of ids) expect(isRunId(id)).toBe(true);
  });

  it('refuses names and suffixes that would make an invalid id', () => {
    expect(() => newRunId('Stg4', new Date(), () => 'a1b2c3')).toThrow(/environment name/);
    expect(() => newRunId('stg4;x', new Date(), () => 'a1b2c3')).toThrow(/environment name/);
    expect(() => newRunId('stg4', new Date(), () => 'A1B2C3')).toThrow(/random suffix/);
    expect(() => newRunId('stg4', new Date(), () => 'a1b2c')).toThrow(/random suffix/);
    expect(() => newRunId('stg4', new Date('nope'), () => 'a1b2c3')).toThrow(/invalid date/);
  });
});

describe('isRunId and runIdEnv', () => {
  it.each([
    ['stg4-20261121-a1b2c3', 'stg4'],
    ['stg-eu-1-20240229-ffffff', 'stg-eu-1'],
    ['stg4-20261121-A1B2C3', null],
    ['stg4-20261321-a1b2c3', null],
    ['stg4-20250229-a1b2c3', null],
    ['stg4-2026112-a1b2c3', null],
    ['stg4-20261121-a1b2c3 ', null],
    ['-20261121-a1b2c3', null],
    ['stg4-20261121-a1b2c3;x', null],
    ['stg4', null],
  ])('%s', (text, env) => {
    expect(runIdEnv(text)).toBe(env);
    expect(isRunId(text)).toBe(env !== null);
  });

  it('environment names are lowercase, at most 32 characters, no edge hyphens', () => {
    expect(ENV_NAME_PATTERN.test('stg4')).toBe(true);
    expect(ENV_NAME_PATTERN.test('a'.repeat(32))).toBe(true);
    expect(ENV_NAME_PATTERN.test('a'.repeat(33))).toBe(false);
    expect(ENV_NAME_PATTERN.test('stg-')).toBe(false);
    expect(ENV_NAME_PATTERN.test('4stg')).toBe(false);
  });
});
