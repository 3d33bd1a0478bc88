// slack-app-manifest.json asks Slack for what the front handles and uses, and nothing more.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOT_EVENTS, BOT_SCOPES, SLASH_COMMAND } from '../../../src/bot/slack/manifest-facts.ts';
import { SLACK_EVENTS_PATH } from '../../../src/bot/slack/index.ts';
import { ACTIONS } from '../../../src/bot/slack/actions-ids.ts';

const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '../../../slack-app-manifest.json'), 'utf8')) as {
  features: { app_home: { home_tab_enabled: boolean }; slash_commands: { command: string; url: string; should_escape: boolean }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean };
};

describe('slack-app-manifest.json', () => {
  it('asks for exactly the bot scopes the code uses', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(Object.keys(BOT_SCOPES).sort());
  });

  it('subscribes to exactly the events the front listens to, with the Home tab on', () => {
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual([...BOT_EVENTS].sort());
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
  });

  it('sends the command, the events and the button clicks to the one path the server mounts', () => {
    const [command] = manifest.features.slash_commands;
    expect(command!.command).toBe(SLASH_COMMAND);
    // The parser undoes Slack's HTML escaping; user and channel names must not be rewritten into ids.
    expect(command!.should_escape).toBe(false);
    for (const url of [command!.url, manifest.settings.event_subscriptions.request_url, manifest.settings.interactivity.request_url]) {
      expect(new URL(url).pathname).toBe(SLACK_EVENTS_PATH);
    }
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(Object.values(ACTIONS).every((id) => id.startsWith('stagebot.'))).toBe(true);
  });

  it('defaults to HTTP delivery (Socket Mode is switched on per installation)', () => {
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });
});
