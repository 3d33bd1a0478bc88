import { describe, expect, it } from 'vitest';
import { boundedList, code, escapeMarkdown, fitToLimit, link, table } from '../../../src/bot/github/markdown.ts';

describe('escapeMarkdown', () => {
  it('makes markdown punctuation, HTML and mentions inert', () => {
    const out = escapeMarkdown('**bold** [x](http://evil) <img src=x> @octocat #1 | a_b');
    expect(out).not.toMatch(/(^|[^\\])\*\*/);
    expect(out).toContain('\\[x\\]\\(http://evil\\)');
    expect(out).toContain('&lt;img src=x&gt;');
    expect(out).toContain('@&#8203;octocat');
    expect(out).toContain('\\|');
    expect(out).toContain('a\\_b');
  });

  it('keeps the text on one line', () => {
    expect(escapeMarkdown('one\n# two\r\n- three')).not.toMatch(/[\r\n]/);
  });
});

describe('code', () => {
  it('uses a fence longer than any backtick run inside, so the text cannot close it', () => {
    expect(code('a ` b')).toBe('``a ` b``');
    expect(code('x ``` y')).toBe('````x ``` y````');
    expect(code('`edge`')).toBe('`` `edge` ``');
  });

  it('escapes pipes only inside tables and never returns an empty span', () => {
    expect(code('a|b', { inTable: true })).toBe('`a\\|b`');
    expect(code('a|b')).toBe('`a|b`');
    expect(code('')).toBe('` `');
  });
});

describe('link', () => {
  it('links http(s) URLs with parentheses encoded and shows anything else as text', () => {
    expect(link('report', 'https://r.example/a (1)/')).toBe('[report](https://r.example/a%20%281%29/)');
    expect(link('report', 'javascript:alert(1)')).toBe('report');
    expect(link('report', 'not a url')).toBe('report');
    expect(link('report', null)).toBe('report');
  });
});

describe('table, boundedList, fitToLimit', () => {
  it('builds a table with a separator row', () => {
    expect(table(['A', 'B'], [['1', '2']])).toBe('| A | B |\n| --- | --- |\n| 1 | 2 |');
  });

  it('bounds lists and says how many were left out', () => {
    const list = boundedList(['a', 'b', 'c'], 2);
    expect(list).toEqual(['- a', '- b', '- _… and 1 more_']);
  });

  it('cuts text over the limit at a line boundary and says so', () => {
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const cut = fitToLimit(text, 200);
    expect(cut.length).toBeLessThanOrEqual(200);
    expect(cut).toContain('cut to fit');
    expect(fitToLimit('short', 200)).toBe('short');
  });
});
