import { describe, expect, it } from 'vitest';
import { tokenize } from '../../src/commands/tokenize.ts';
import { CommandError } from '../../src/errors.ts';

describe('tokenize', () => {
  it.each([
    ['a b  c', ['a', 'b', 'c']],
    ['  lead and trail  ', ['lead', 'and', 'trail']],
    ['tabs\tand\nlines\r\nand\u00a0nbsp', ['tabs', 'and', 'lines', 'and', 'nbsp']],
    ['--reason="a b"', ['--reason=a b']],
    ["'a b'c", ['a bc']],
    ['"a"\'b\'c', ['abc']],
    ['""', ['']],
    ["x '' y", ['x', '', 'y']],
    ['\u201csmart double\u201d \u2018smart single\u2019', ['smart double', 'smart single']],
    ['\u201dreversed\u201c', ['reversed']],
    ['"it\u2019s"', ['it\u2019s']],
    ["'say \"hi\"'", ['say "hi"']],
    ['back\\slash "no\\"escape', ['back\\slash', 'no\\escape']],
    ['$(x) `y` ${z} a;b c|d e&&f g>h *', ['$(x)', '`y`', '${z}', 'a;b', 'c|d', 'e&&f', 'g>h', '*']],
    ['', []],
  ])('%j', (text, words) => {
    expect(tokenize(text)).toEqual(words);
  });

  it('reads a leading em or en dash as -- only with smartDashes and only outside quotes', () => {
    expect(tokenize('\u2014keep \u2013ref a\u2014b "\u2014x"', { smartDashes: true })).toEqual(['--keep', '--ref', 'a\u2014b', '\u2014x']);
    expect(tokenize('\u2014keep')).toEqual(['\u2014keep']);
  });

  it('rejects an unclosed quote, showing the word as typed', () => {
    expect(() => tokenize('a --reason="db')).toThrow(new CommandError('the quote in `--reason="db` is never closed; end the value with a matching quote'));
  });

  it('rejects a quoted value that spans lines', () => {
    expect(() => tokenize('"a\nb"')).toThrow('the quoted value in `"a` runs onto the next line; close the quote on the same line');
  });
});
