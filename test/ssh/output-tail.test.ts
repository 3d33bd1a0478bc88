import { describe, expect, it } from 'vitest';
import { OutputTail } from '../../src/ssh/output-tail.ts';

describe('OutputTail', () => {
  it('keeps everything while under both bounds', () => {
    const tail = new OutputTail(100, 5);
    tail.push(Buffer.from('a\nb'));
    tail.push(Buffer.from('\nc\n'));
    expect(tail.text()).toBe('a\nb\nc\n');
  });

  it('keeps the last lines only', () => {
    const tail = new OutputTail(1_000, 3);
    for (let i = 1; i <= 10; i++) tail.push(Buffer.from(`${i}\n`));
    expect(tail.text()).toBe('8\n9\n10\n');
    tail.push(Buffer.from('partial'));
    expect(tail.text()).toBe('9\n10\npartial');
  });

  it('keeps the last bytes only, never starting inside a UTF-8 character', () => {
    const tail = new OutputTail(10, 40);
    // 'é' is two bytes: a 10-byte cut of 'xxxxxxxxxxé€' would start inside a character.
    for (let i = 0; i < 50; i++) tail.push(Buffer.from('aé€'));
    const text = tail.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(10);
    expect(text).not.toContain('\uFFFD');
    expect(text.endsWith('aé€')).toBe(true);
  });

  it('stays small however much is pushed', () => {
    const tail = new OutputTail(64, 40);
    for (let i = 0; i < 10_000; i++) tail.push(Buffer.from(`line ${i}\n`));
    expect(tail.text().endsWith('line 9999\n')).toBe(true);
    expect(Buffer.byteLength(tail.text())).toBeLessThanOrEqual(64);
  });
});
