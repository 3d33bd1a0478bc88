import { describe, expect, it } from 'vitest';
import { echo } from '../../src/commands/echo.ts';
import { closest, didYouMean, orList } from '../../src/commands/suggest.ts';

const ENVS = ['stg1', 'stg2', 'stg3', 'stg4'];

describe('closest', () => {
  it.each([
    ['sgt4', ENVS, ['stg4']],
    ['stg', ENVS, ['stg1', 'stg2', 'stg3', 'stg4']],
    ['stg9', ENVS, []],
    ['stg44', ENVS, ['stg4']],
    ['STG2', ENVS, ['stg2']],
    ['lanch', ['launch', 'list', 'lock'], ['launch']],
    ['lunch', ['launch', 'list', 'lock'], ['launch']],
    ['x', ['ls', 'xy'], []],
    ['deploy', ['launch', 'list'], []],
    ['', ENVS, []],
    ['a'.repeat(100), ['a'.repeat(99)], []],
  ])('%s', (input, candidates, expected) => {
    expect(closest(input, candidates)).toEqual(expected);
  });

  it('gives up when more than four candidates tie', () => {
    expect(closest('env', ['env1', 'env2', 'env3', 'env4', 'env5'])).toEqual([]);
  });
});

describe('didYouMean and orList', () => {
  it('formats one, two, and more', () => {
    expect(didYouMean('sgt4', ENVS)).toBe('did you mean `stg4`?');
    expect(didYouMean('stg', ['stg1', 'stg2', 'prod'])).toBe('did you mean `stg1` or `stg2`?');
    expect(didYouMean('browser', ['browsers'], (n) => `--${n}`)).toBe('did you mean `--browsers`?');
    expect(didYouMean('zzz', ENVS)).toBeNull();
    expect(orList(['a', 'b', 'c'])).toBe('a, b or c');
    expect(orList(['a'])).toBe('a');
  });
});

describe('echo', () => {
  it('wraps in backticks, replaces backticks, cuts at 40 characters', () => {
    expect(echo('stg9')).toBe('`stg9`');
    expect(echo('a`b')).toBe("`a'b`");
    expect(echo('')).toBe('`""`');
    expect(echo('x'.repeat(40))).toBe(`\`${'x'.repeat(40)}\``);
    expect(echo('x'.repeat(41))).toBe(`\`${'x'.repeat(39)}…\``);
  });

  it('never splits a surrogate pair and never lets a control character through', () => {
    const cut = echo('\u{1f680}'.repeat(50));
    expect(Array.from(cut.slice(1, -1))).toHaveLength(40);
    expect(cut.isWellFormed()).toBe(true);
    expect(echo('a\nb\u202ec')).toBe('`a?b?c`');
  });
});
