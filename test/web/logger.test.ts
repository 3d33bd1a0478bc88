// The server's logger (src/observability/logger.ts): JSON lines with secrets kept out.
import { describe, expect, it } from 'vitest';
import { maskUrlCredentials, REDACTED_KEYS } from '../../src/observability/logger.ts';
import { captureLog } from './support.ts';

describe('createLogger', () => {
  it('writes one JSON object per line with a level label, an ISO time and the name', () => {
    const log = captureLog('info');
    log.logger.info({ env: 'stg1' }, 'hello');
    log.logger.debug('not at info');
    const lines = log.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', name: 'stagebot', env: 'stg1', msg: 'hello' });
    expect(new Date(String(lines[0]!.time)).toISOString()).toBe(lines[0]!.time);
  });

  it.each(REDACTED_KEYS)('redacts %s at the top level, one and two levels down, and in request headers', (key) => {
    const log = captureLog();
    const secret = `s3cr3t-${key}-value`;
    log.logger.info({ [key]: secret, slack: { [key]: secret }, a: { b: { [key]: secret } }, req: { headers: { [key]: secret } } }, 'x');
    expect(log.text()).not.toContain(secret);
    const line = log.lines()[0]!;
    expect(line[key]).toBe('[redacted]');
    expect((line.slack as Record<string, unknown>)[key]).toBe('[redacted]');
  });

  it('masks URL credentials in the message, format arguments, other fields and errors', () => {
    const log = captureLog();
    const url = 'postgres://stagebot:hunter2@db.internal:5432/stagebot';
    log.logger.info(`connecting to ${url}`);
    log.logger.info('connecting to %s', url);
    log.logger.info({ where: url, nested: { list: [url] } }, 'open');
    log.logger.error({ err: new Error(`connect failed for ${url}`) }, 'store down');
    expect(log.text()).not.toContain('hunter2');
    // Every line is still valid JSON after masking.
    const lines = log.lines();
    expect(lines).toHaveLength(4);
    expect(lines[0]!.msg).toBe('connecting to postgres://stagebot:***@db.internal:5432/stagebot');
    expect(lines[2]!.where).toBe('postgres://stagebot:***@db.internal:5432/stagebot');
    expect((lines[3]!.err as { message: string }).message).toBe('connect failed for postgres://stagebot:***@db.internal:5432/stagebot');
  });

  it('does not mangle JSON lines that merely hold a URL and an @ in different fields', () => {
    const log = captureLog();
    log.logger.info({ url: 'https://example.com', requester: 'cli:me@host' }, 'ok');
    expect(log.lines()[0]).toMatchObject({ url: 'https://example.com', requester: 'cli:me@host' });
  });
});

describe('maskUrlCredentials', () => {
  it.each([
    ['postgres://u:p@h/db', 'postgres://u:***@h/db'],
    ['postgresql://user:pa:ss@h:5432/db?ssl=true', 'postgresql://user:***@h:5432/db?ssl=true'],
    ['see https://a:b@x.example and redis://c:d@y', 'see https://a:***@x.example and redis://c:***@y'],
  ])('%s -> %s', (input, masked) => {
    expect(maskUrlCredentials(input)).toBe(masked);
  });

  it.each(['postgres://h/db', 'https://example.com/a:b', 'mailto:a@b', 'cli:me@host'])('leaves %s alone', (text) => {
    expect(maskUrlCredentials(text)).toBe(text);
  });
});
