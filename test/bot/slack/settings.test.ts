import { describe, expect, it } from 'vitest';
import { slackSettings } from '../../../src/bot/slack/settings.ts';

describe('slackSettings', () => {
  it('enables HTTP with a bot token and a signing secret, and Socket Mode with an app token', () => {
    expect(slackSettings({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' })).toMatchObject({ enabled: true, mode: 'http', apiUrl: undefined });
    expect(slackSettings({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SLACK_SOCKET_MODE: 'true' })).toMatchObject({ enabled: true, mode: 'socket' });
  });

  it('says what to set when something is missing', () => {
    expect(slackSettings({})).toMatchObject({ enabled: false, reason: expect.stringContaining('SLACK_BOT_TOKEN') });
    expect(slackSettings({ SLACK_BOT_TOKEN: 'xoxb-1' })).toMatchObject({ enabled: false, reason: expect.stringContaining('SLACK_SIGNING_SECRET') });
    expect(slackSettings({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SOCKET_MODE: '1' })).toMatchObject({ enabled: false, reason: expect.stringContaining('SLACK_APP_TOKEN') });
  });

  it('takes SLACK_API_URL when it is an http(s) URL, and refuses anything else', () => {
    const env = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' };
    expect(slackSettings({ ...env, SLACK_API_URL: 'http://127.0.0.1:9999/api/' })).toMatchObject({ enabled: true, apiUrl: 'http://127.0.0.1:9999/api/' });
    expect(slackSettings({ ...env, SLACK_API_URL: '  ' })).toMatchObject({ enabled: true, apiUrl: undefined });
    expect(slackSettings({ ...env, SLACK_API_URL: 'slack.com/api' })).toMatchObject({ enabled: false, reason: expect.stringContaining('SLACK_API_URL must be an http(s) URL') });
    expect(slackSettings({ ...env, SLACK_API_URL: 'file:///etc/passwd' })).toMatchObject({ enabled: false });
  });
});
