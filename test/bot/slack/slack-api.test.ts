import { afterEach, describe, expect, it } from 'vitest';
import { boltLogger } from '../../../src/bot/slack/bolt-logger.ts';
import { retryAfterMs, withRetryAfter } from '../../../src/bot/slack/rate-limit.ts';
import { createSlackApi, normalizeApiUrl, slackErrorCode } from '../../../src/bot/slack/slack-api.ts';
import { silentLogger } from '../../../src/observability/logger.ts';
import { startFakeSlack, type FakeSlack } from './support/fake-slack.ts';

let fake: FakeSlack | null = null;
afterEach(async () => {
  await fake?.close();
  fake = null;
});

async function api() {
  fake = await startFakeSlack();
  return createSlackApi({ token: 'xoxb-test', apiUrl: fake.apiUrl.replace(/\/$/, ''), logger: boltLogger(silentLogger()) });
}

describe('Slack Web API client', () => {
  it('talks to SLACK_API_URL (with or without a trailing slash) with the bot token', async () => {
    const slack = await api();
    const ref = await slack.postMessage('C1', { text: 'hello <b>' }, '1.2');
    expect(ref.channel).toBe('C1');
    await slack.updateMessage(ref, { text: 'again', blocks: [{ type: 'divider' }] });
    expect(fake!.messages[0]).toMatchObject({ channel: 'C1', threadTs: '1.2', text: 'hello <b>' });
    expect(fake!.messages[0]!.updates[0]!.blocks).toEqual([{ type: 'divider' }]);
    expect(await slack.whoAmI()).toEqual({ userId: 'UBOT', botId: 'BBOT', teamId: 'T0TEAM' });
    expect(normalizeApiUrl('http://x/api')).toBe('http://x/api/');
    expect(normalizeApiUrl('')).toBeUndefined();
  });

  it('hands a 429 back at once with Slack\'s Retry-After, instead of pausing every call', async () => {
    const slack = await api();
    const ref = await slack.postMessage('C1', { text: 'x' });
    fake!.rateLimit('chat.update', 1, 2);
    // Limited once only: a client that paused and retried would have succeeded instead of failing.
    const err = await slack.updateMessage(ref, { text: 'y' }).then(() => null, (e: unknown) => e);
    expect(retryAfterMs(err)).toBe(2_000);
    // The next call goes through.
    await slack.updateMessage(ref, { text: 'z' });
    expect(fake!.current(ref.ts)!.text).toBe('z');
  });

  it('reports Slack error codes, and they are not rate limits', async () => {
    const slack = await api();
    fake!.closedChannels.add('C0PRIVATE');
    const err = await slack.postMessage('C0PRIVATE', { text: 'x' }).then(() => null, (e: unknown) => e);
    expect(slackErrorCode(err)).toBe('not_in_channel');
    expect(retryAfterMs(err)).toBeNull();
  });
});

describe('withRetryAfter', () => {
  const limited = (seconds: number) => Object.assign(new Error('rate limited'), { code: 'slack_webapi_rate_limited_error', retryAfter: seconds });

  it('waits what Slack asked, then tries again', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetryAfter(
      async () => {
        calls += 1;
        if (calls < 3) throw limited(calls);
        return 'ok';
      },
      { sleep: async (ms) => waits.push(ms) },
    );
    expect(result).toBe('ok');
    expect(waits).toEqual([1_000, 2_000]);
  });

  it('gives up after its attempts, on a wait too long, and at once on other errors', async () => {
    const sleep = async () => undefined;
    await expect(withRetryAfter(async () => Promise.reject(limited(1)), { attempts: 2, sleep })).rejects.toThrow('rate limited');
    let calls = 0;
    await expect(withRetryAfter(async () => (calls++, Promise.reject(limited(600))), { maxWaitMs: 60_000, sleep })).rejects.toThrow();
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetryAfter(async () => (calls++, Promise.reject(new Error('boom'))), { sleep })).rejects.toThrow('boom');
    expect(calls).toBe(1);
  });
});
