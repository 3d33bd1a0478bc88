// Socket Mode, for installations without a public URL: the same front, fed over a WebSocket that
// the app opens itself; /slack/events then serves nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtures, type Fixtures } from '../../pipeline/engine/harness.ts';
import { startFakeSocketMode, type FakeSocketMode } from './support/fake-socket-mode.ts';
import { sendSlashCommand } from './support/signed.ts';
import { CHANNEL, SECRET, startSlackWorld, type SlackWorld } from './support/slack-world.ts';

let fx: Fixtures;
let socket: FakeSocketMode;
let w: SlackWorld;

beforeAll(async () => {
  fx = await startFixtures();
  socket = await startFakeSocketMode();
  w = await startSlackWorld(fx, { socketUrl: socket.url });
});
afterAll(async () => {
  await w?.close();
  await socket?.close();
  await fx?.stop();
});

describe('Slack front over Socket Mode', () => {
  it('connects with the app token through SLACK_API_URL and handles commands from the socket', async () => {
    await socket.connected();
    const open = w.slack.callsOf('apps.connections.open');
    expect(open).toHaveLength(1);
    expect(open[0]!.token).toBe('xapp-test-token');

    // A bad command is answered in the ack, as over HTTP.
    const bad = await socket.send('slash_commands', { command: '/stage', text: 'lanch', user_id: 'U0ALICE', channel_id: CHANNEL, trigger_id: 't1', response_url: w.slack.responseUrl('bad') });
    expect(bad.payload?.response_type).toBe('ephemeral');
    expect(String(bad.payload?.text)).toContain('launch');

    const ack = await socket.send('slash_commands', { command: '/stage', text: 'lock stg2 --reason demo', user_id: 'U0ALICE', channel_id: CHANNEL, trigger_id: 't2', response_url: w.slack.responseUrl('lock') });
    expect(ack.envelope_id).toBeTruthy();
    const answer = await w.slack.waitFor('the lock answer', () => w.slack.responsesTo('lock')[0]);
    expect(String(answer.body.text)).toContain('*stg2* locked by <@U0ALICE>');
    expect((await w.services.store.getLock('stg2'))?.holder).toBe('slack:U0ALICE');
    expect(w.slack.callsOf('auth.test')[0]!.token).toBe('xoxb-test-token');
  });

  it('answers 410 on /slack/events, even to a correctly signed request', async () => {
    const res = await sendSlashCommand(w.eventsUrl, SECRET, { text: 'list', response_url: w.slack.responseUrl('http') });
    expect(res.status).toBe(410);
    expect(res.body).toContain('Socket Mode');
  });
});
