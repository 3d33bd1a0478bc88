// The Slack front through stagebot's real HTTP server: signed slash commands and button clicks as
// Slack sends them, the pipeline on the fake cloud, and a fake Slack Web API recording what the
// front posts, updates and publishes.
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { BrowserJob, BrowserResult, RunOptions, TestRunner } from '../../../src/pipeline/test-runners/types.ts';
import { browserResult, runItem, useWorlds } from '../../pipeline/engine/harness.ts';
import { blockText, buttonsOf, type FakeMessage } from './support/fake-slack.ts';
import { sendSlashCommand, slashCommandBody, signedHeaders, send } from './support/signed.ts';
import { ADMIN, CHANNEL, SECRET, QA_GROUP, startSlackWorld, type SlackWorld } from './support/slack-world.ts';

const world = useWorlds(startSlackWorld);

/** Per-browser delays and results: lets a test act while one browser still runs. */
function slowRunner(spec: Record<string, { ms: number; result?: Partial<BrowserResult> }>): TestRunner {
  return {
    async run(job: BrowserJob, run: RunOptions): Promise<BrowserResult> {
      const { ms, result } = spec[job.browser] ?? { ms: 5 };
      try {
        await delay(ms, undefined, { signal: run.signal });
      } catch {
        return browserResult(job.browser, { outcome: 'cancelled', passed: 0 });
      }
      return browserResult(job.browser, { durationMs: ms, ...result });
    },
  };
}

const FAILING_FIREFOX: Partial<BrowserResult> = {
  outcome: 'failed',
  passed: 10,
  failed: 2,
  failingTests: ['checkout.spec.ts › pays with <card>', 'login.spec.ts › remembers & returns'],
  reportUrl: 'https://reports.acme.example/stg1/firefox/index.html',
};

async function parentOf(w: SlackWorld): Promise<FakeMessage> {
  return w.slack.waitFor('the parent message', () => w.slack.parents()[0]);
}

async function finalText(w: SlackWorld, parent: FakeMessage, word: string): Promise<string> {
  return w.slack.waitFor(`the parent to say ${word}`, () => {
    const text = blockText(w.slack.current(parent.ts)?.blocks);
    return text.includes(word) ? text : undefined;
  });
}

describe('Slack front, end to end', () => {
  it('launches from /stage: acks at once, posts the parent, a reply per step, and the final result in place', async () => {
    const w = await world();
    const res = await w.command('launch stg1 --browsers=chrome,firefox');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(res.ms).toBeLessThan(1_000);

    const parent = await parentOf(w);
    expect(parent.channel).toBe(CHANNEL);
    const [run] = await w.runs();
    expect(run!.requester).toBe('slack:U0ALICE');
    expect(run!.source).toBe('slack');
    const first = blockText(parent.blocks);
    expect(first).toContain(run!.id);
    expect(first).toContain('<@U0ALICE>');
    expect(first).toContain('chrome, firefox');
    expect(buttonsOf(parent.blocks).map((b) => b.actionId)).toEqual(['stagebot.cancel']);

    const text = await finalText(w, parent, 'succeeded');
    await w.settle();
    // Every step is in the final checklist and timing table.
    for (const step of ['prepare-tests', 'launch', 'open-ssh', 'wait-ssh', 'service-update', 'register', 'tests', 'teardown']) {
      expect(text, step).toMatch(new RegExp(`:white_check_mark: ${step} — `));
    }
    expect(text).toMatch(/\*chrome\*: 12 passed/);
    expect(text).toMatch(/\*firefox\*: 12 passed/);
    expect(text).toContain('```');
    expect(text).toMatch(/cost of the run: (\$\d+\.\d\d|&lt;\$0\.01)(\n| )/);
    const assets = await w.services.store.getAssets(run!.id);
    expect(assets.length).toBeGreaterThan(0);
    expect(text).toContain(`all ${assets.length} assets torn down`);
    expect(buttonsOf(w.slack.current(parent.ts)!.blocks)).toEqual([]);

    // One threaded reply per finished step, in the order the steps finished, with their details.
    const replies = w.slack.repliesTo(parent.ts).map((m) => m.text);
    const stepsReplied = replies.map((r) => /^:white_check_mark: \*([\w-]+)\* done/.exec(r)?.[1]).filter(Boolean);
    expect(stepsReplied.sort()).toEqual(['arm-switch', 'launch', 'open-ssh', 'prepare-tests', 'register', 'service-update', 'teardown', 'tests', 'wait-ssh']);
    expect(replies.find((r) => r.includes('*arm-switch* done'))).toMatch(/:alarm_clock: dead man's switch armed: the host powers itself off <!date\^\d+\^/);
    const launchReply = replies.find((r) => r.includes('*launch* done'))!;
    expect(launchReply).toMatch(/instance `i-[0-9a-f]+`/);
    expect(launchReply).toContain('public IP `127.0.0.1`');
    expect(replies.find((r) => r.includes('*register* done'))).toMatch(/healthy in `stg1-web` after \d+ health check/);
    expect(replies.find((r) => r.includes('*tests* done'))).toMatch(/\*firefox\*: 12 passed/);

    // Coalesced: at most one update of the parent per second. The pacing itself is exact in
    // paced-flusher.test.ts (a fake clock); here arrival times carry transit jitter on a loaded
    // machine, so the bound is on the count over the span, with room for one late arrival.
    const updates = w.slack.callsOf('chat.update').filter((c) => c.args.ts === parent.ts);
    expect(updates.length).toBeGreaterThan(0);
    const spanMs = updates.at(-1)!.at - updates[0]!.at;
    expect(updates.length).toBeLessThanOrEqual(Math.floor(spanMs / 1000) + 2);
    // Nothing went to response_url: the parent is the answer.
    expect(w.slack.responsesTo(res.responseId)).toEqual([]);
  });

  it('reports a failing service-update in its thread with the output tail, tears down, and offers a rerun', async () => {
    const w = await world({ recipe: () => [runItem('say hello', 'echo hello'), runItem('migrate the database', 'echo "migration <42> broke" >&2; exit 3')] });
    await w.command('launch stg1');
    const parent = await parentOf(w);
    const text = await finalText(w, parent, '— failed');
    await w.settle();
    expect(text).toMatch(/:x: service-update — failed after/);
    expect(text).toMatch(/:white_circle: register — not run/);
    expect(text).toMatch(/all \d+ assets torn down/);
    const failed = w.slack.repliesTo(parent.ts).find((m) => m.text.startsWith(':x: *service-update* failed'))!;
    expect(failed.text).toContain('migrate the database');
    expect(failed.text).toContain('```');
    expect(failed.text).toContain('migration &lt;42&gt; broke');
    expect(w.slack.repliesTo(parent.ts).some((m) => m.text.includes('*register*'))).toBe(false);
    expect(buttonsOf(w.slack.current(parent.ts)!.blocks).map((b) => b.text)).toEqual(['Rerun']);
  });

  it('answers a bad command in the ack with the valid choices, and starts nothing', async () => {
    const w = await world();
    const typo = await w.command('lanch stg1');
    expect(typo.status).toBe(200);
    const body = JSON.parse(typo.body) as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toContain('launch');
    expect(body.text.split('\n')).toHaveLength(1);
    expect(body.text).not.toMatch(/at .*\.ts:\d+/);

    const env = JSON.parse((await w.command('launch stg9')).body) as { text: string };
    expect(env.text).toContain('stg1');
    expect(env.text).toContain('stg2');

    const help = JSON.parse((await w.command('help launch')).body) as { text: string };
    expect(help.text).toContain('/stage launch');
    expect(help.text).toContain('chrome');

    await delay(100);
    expect(await w.runs()).toEqual([]);
    expect(w.slack.callsOf('chat.postMessage')).toEqual([]);
  });

  it('refuses forged, stale, unsigned and future-dated requests with 401 and does nothing', async () => {
    const w = await world();
    const url = w.eventsUrl;
    const fields = { text: 'launch stg1', response_url: w.slack.responseUrl('forged') };
    const now = Math.floor(Date.now() / 1000);
    const forged = await sendSlashCommand(url, 'not-the-secret', fields);
    const tampered = await sendSlashCommand(url, SECRET, fields, { signature: 'v0=' + '0'.repeat(64) });
    const stale = await sendSlashCommand(url, SECRET, fields, { timestamp: now - 6 * 60 });
    const future = await sendSlashCommand(url, SECRET, fields, { timestamp: now + 6 * 60 });
    const unsigned = await sendSlashCommand(url, SECRET, fields, { signature: null });
    // A body changed after signing.
    const body = slashCommandBody(fields);
    const swapped = await send(url, body.replace('launch', 'sweep'), signedHeaders(SECRET, body, 'application/x-www-form-urlencoded'));
    for (const r of [forged, tampered, stale, future, unsigned, swapped]) expect(r.status).toBe(401);
    // Within the window, a correctly signed one is fine.
    const ok = await sendSlashCommand(url, SECRET, { text: 'list', response_url: w.slack.responseUrl('fine') }, { timestamp: now - 4 * 60 });
    expect(ok.status).toBe(200);

    await w.slack.waitFor('the list answer', () => w.slack.responsesTo('fine')[0]);
    expect(await w.runs()).toEqual([]);
    expect(w.slack.responsesTo('forged')).toEqual([]);
    expect(w.slack.callsOf('chat.postMessage')).toEqual([]);
  });

  it('runs a command once when Slack delivers it again (X-Slack-Retry-Num)', async () => {
    const w = await world({ testRunner: slowRunner({ chrome: { ms: 300 } }) });
    const triggerId = '1337.42.retry';
    const first = await w.command('launch stg1', { triggerId, responseId: 'first' });
    const again = await w.command('launch stg1', { triggerId, responseId: 'again', retryNum: 1 });
    const third = await w.command('launch stg1', { triggerId, responseId: 'third', retryNum: 2 });
    for (const r of [first, again, third]) expect(r.status).toBe(200);
    const parent = await parentOf(w);
    await finalText(w, parent, 'succeeded');
    await w.settle();
    expect(await w.runs()).toHaveLength(1);
    expect(w.slack.parents()).toHaveLength(1);
    expect(w.slack.responsesTo('again')).toEqual([]);
  });

  it('refuses a user outside the rules, naming the rule, and lets the allowed ones through', async () => {
    const w = await world({ slack: (s) => (s.allow = { lock: { userGroups: [QA_GROUP], users: [], channels: [] } }) });
    w.slack.groups[QA_GROUP] = ['U0QA'];

    const elsewhere = await w.command('launch stg1', { channel: 'C0RANDOM' });
    expect(elsewhere.status).toBe(200);
    const refused = await w.slack.waitFor('the refusal', () => w.slack.responsesTo(elsewhere.responseId)[0]);
    expect(refused.body.response_type).toBe('ephemeral');
    expect(String(refused.body.text)).toContain('slack.channels');
    expect(String(refused.body.text)).toContain(`<#${CHANNEL}>`);

    const notQa = await w.command('lock stg2 --reason "<!channel> demo & test"', { user: 'U0BOB' });
    const lockRefusal = await w.slack.waitFor('the lock refusal', () => w.slack.responsesTo(notQa.responseId)[0]);
    expect(String(lockRefusal.body.text)).toContain('slack.allow.lock');
    expect(String(lockRefusal.body.text)).toContain(QA_GROUP);

    const reap = await w.command('sweep --reap', { user: 'U0BOB' });
    const reapRefusal = await w.slack.waitFor('the reap refusal', () => w.slack.responsesTo(reap.responseId)[0]);
    expect(String(reapRefusal.body.text)).toContain('slack.admins');

    expect(await w.runs()).toEqual([]);
    expect(await w.services.store.getLock('stg2')).toBeNull();

    // A member of the group may lock, from anywhere; the reason is escaped in what Slack shows.
    const qa = await w.command('lock stg2 --reason "<!channel> demo & test"', { user: 'U0QA', channel: 'C0RANDOM' });
    const locked = await w.slack.waitFor('the lock answer', () => w.slack.responsesTo(qa.responseId)[0]);
    expect(locked.body.response_type).toBe('in_channel');
    expect(String(locked.body.text)).toContain('&lt;!channel&gt; demo &amp; test');
    expect(String(locked.body.text)).not.toContain('<!channel>');
    expect((await w.services.store.getLock('stg2'))?.holder).toBe('slack:U0QA');

    // Someone else's lock: only an admin may unlock it, and the refusal says so.
    const bob = await w.command('unlock stg2', { user: 'U0BOB' });
    const unlockRefusal = await w.slack.waitFor('the unlock refusal', () => w.slack.responsesTo(bob.responseId)[0]);
    expect(String(unlockRefusal.body.text)).toMatch(/only admins may unlock .*`slack.admins`/);
    const admin = await w.command('unlock stg2', { user: ADMIN });
    await w.slack.waitFor('the admin unlock', () => w.slack.responsesTo(admin.responseId)[0]);
    expect(await w.services.store.getLock('stg2')).toBeNull();
  });

  it('cancels a run from its Cancel button: refused for someone else, once for its owner, torn down, shown cancelled (not failed) with who did it and no rerun', async () => {
    const w = await world({ testRunner: slowRunner({ chrome: { ms: 20_000 } }) });
    await w.command('launch stg1');
    const parent = await parentOf(w);
    const [run] = await w.runs();
    await w.slack.waitFor('the tests to start', () => w.slack.repliesTo(parent.ts).some((m) => m.text.includes('*register* done')));

    const bob = await w.click('stagebot.cancel', run!.id, parent.ts, { user: 'U0BOB' });
    expect(bob.status).toBe(200);
    const refusal = await w.slack.waitFor('the refusal', () => w.slack.responsesTo(bob.responseId)[0]);
    expect(String(refusal.body.text)).toContain('slack.admins');
    expect(refusal.body.replace_original).toBe(false);
    expect((await w.services.store.getRun(run!.id))!.state).toBe('running');

    const [a, b] = await Promise.all([w.click('stagebot.cancel', run!.id, parent.ts), w.click('stagebot.cancel', run!.id, parent.ts)]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    const text = await finalText(w, parent, 'assets torn down');
    await w.settle();
    expect(text).toMatch(/all \d+ assets torn down/);
    expect(w.world.live(run!.id)).toEqual([]);
    // A cancel reads as a cancel: its own icon and word for the run and the step it stopped, who did
    // it as a mention, and no "Rerun failed browsers" (nothing failed: chrome was cancelled).
    expect(text).toContain(':no_entry_sign: *stg1* — cancelled');
    expect(text).toMatch(/:no_entry_sign: tests — cancelled after/);
    expect(text).toContain(':no_entry_sign: cancelled by <@U0ALICE>');
    expect(text).toContain('*chrome* (cancelled)');
    expect(text).not.toContain(':x:');
    expect(buttonsOf(w.slack.current(parent.ts)!.blocks)).toEqual([]);
    // One of the two clicks did it; the other was told (that it was asked for, or, if it came late, done).
    const told = [...w.slack.responsesTo(a.responseId), ...w.slack.responsesTo(b.responseId)].map((r) => String(r.body.text));
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/already (asked for|cancelled)/);
    expect(w.slack.repliesTo(parent.ts).filter((m) => m.text.includes('cancel requested by <@U0ALICE>'))).toHaveLength(1);
    // Too late to keep it now, and the button says so.
    const keep = await w.click('stagebot.keep', run!.id, parent.ts);
    const late = await w.slack.waitFor('the keep answer', () => w.slack.responsesTo(keep.responseId)[0]);
    expect(String(late.body.text)).toContain('is cancelled; launch it again with --keep');
  });

  it('/stage teardown of a kept run answers at once, then says where it was typed that the environment is gone', async () => {
    const w = await world();
    await w.command('launch stg1 --keep=1h');
    const parent = await parentOf(w);
    await finalText(w, parent, 'kept until');
    const [run] = await w.runs();
    expect(run!.state).toBe('kept');

    const down = await w.command(`teardown ${run!.id}`);
    const [first, second] = await w.slack.waitFor('two answers', () => {
      const answers = w.slack.responsesTo(down.responseId);
      return answers.length >= 2 ? answers : undefined;
    });
    expect(String(first!.body.text)).toBe(`run \`${run!.id}\` on stg1: tearing down (teardown by <@U0ALICE>)`);
    expect(second!.body.response_type).toBe('in_channel');
    expect(String(second!.body.text)).toMatch(new RegExp(`^:broom: run \`${run!.id}\` on stg1 is torn down: all \\d+ assets deleted \\(teardown by <@U0ALICE>\\)$`));
    expect(w.world.live(run!.id)).toEqual([]);
  });

  it('waits out a 429 from chat.update (Retry-After) and still lands the final state', async () => {
    const w = await world({ minIntervalMs: 200 });
    w.slack.rateLimit('chat.update', 2, 1);
    await w.command('launch stg1');
    const parent = await parentOf(w);
    await finalText(w, parent, 'succeeded');
    await w.settle();
    const updates = w.slack.callsOf('chat.update');
    const limited = updates.filter((c) => c.status === 429);
    expect(limited).toHaveLength(2);
    // Each retry came at least Retry-After (1 s) after the 429 it answered.
    for (const l of limited) {
      const next = updates.find((c) => c.at > l.at);
      expect(next!.at - l.at).toBeGreaterThanOrEqual(950);
    }
  });

  it('keeps a failing run 2h from its Keep button before teardown, then offers a rerun of the failed browser', async () => {
    const w = await world({ testRunner: slowRunner({ chrome: { ms: 1_500 }, firefox: { ms: 5, result: FAILING_FIREFOX } }) });
    await w.command('launch stg1 --browsers=chrome,firefox');
    const parent = await parentOf(w);
    const [run] = await w.runs();
    // firefox has failed while chrome still runs: the parent offers Keep 2h.
    const keep = await w.slack.waitFor('the Keep button', () => buttonsOf(w.slack.current(parent.ts)?.blocks).find((b) => b.actionId === 'stagebot.keep'));
    expect(keep.text).toBe('Keep 2h');
    await w.click('stagebot.keep', run!.id, parent.ts);
    const text = await finalText(w, parent, 'kept until');
    await w.settle();
    const kept = (await w.services.store.getRun(run!.id))!;
    expect(kept.state).toBe('kept');
    expect(kept.expiresAt!.getTime() - Date.now()).toBeGreaterThan(1.9 * 3_600_000);
    expect(text).toMatch(/instance `i-/);
    const testsReply = w.slack.repliesTo(parent.ts).find((m) => m.text.includes('*tests* done'))!.text;
    expect(testsReply).toContain('pays with &lt;card&gt;');
    expect(testsReply).toContain('remembers &amp; returns');
    expect(testsReply).toContain('<https://reports.acme.example/stg1/firefox/index.html|report>');
    expect(w.world.live(run!.id).length).toBeGreaterThan(0);

    // Torn down by its owner, it offers "Rerun failed browsers (firefox)"; a double click reruns once.
    await w.command(`teardown ${run!.id}`);
    await finalText(w, parent, 'all ');
    const rerun = await w.slack.waitFor('the Rerun button', () => buttonsOf(w.slack.current(parent.ts)?.blocks).find((b) => b.actionId === 'stagebot.rerun'));
    expect(rerun.text).toBe('Rerun failed browsers (firefox)');
    await Promise.all([w.click('stagebot.rerun', run!.id, parent.ts, { user: ADMIN }), w.click('stagebot.rerun', run!.id, parent.ts, { user: ADMIN })]);
    const second = await w.slack.waitFor('the rerun parent', () => w.slack.parents()[1]);
    await finalText(w, second, 'failed');
    await w.settle();
    const runs = await w.runs();
    expect(runs).toHaveLength(2);
    const again = runs.find((r) => r.id !== run!.id)!;
    expect(again.options.browsers).toEqual(['firefox']);
    expect(again.env).toBe('stg1');
    expect(again.requester).toBe('slack:U0ALICE');
    expect(blockText(w.slack.current(second.ts)!.blocks)).toContain(`rerun of \`${run!.id}\``);
    expect(blockText(w.slack.current(parent.ts)!.blocks)).toContain(`rerun started: \`${again.id}\``);
  });

  it('answers Slack\'s url_verification and ssl_check, and only POST', async () => {
    const w = await world();
    const challenge = JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' });
    const verified = await send(w.eventsUrl, challenge, signedHeaders(SECRET, challenge, 'application/json'));
    expect(verified.status).toBe(200);
    expect(JSON.parse(verified.body)).toEqual({ challenge: 'c-123' });
    const unsignedChallenge = await send(w.eventsUrl, challenge, signedHeaders(SECRET, challenge, 'application/json', { signature: null }));
    expect(unsignedChallenge.status).toBe(401);
    const ssl = await send(w.eventsUrl, 'ssl_check=1&token=t', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(ssl.status).toBe(200);
    const get = await fetch(w.eventsUrl);
    expect(get.status).toBe(405);
  });

  it('answers queries through response_url, and explains a channel it cannot post a thread in', async () => {
    const w = await world({ testRunner: slowRunner({ chrome: { ms: 20_000 } }), slack: (s) => s.channels.push('C0PRIVATE') });
    w.slack.closedChannels.add('C0PRIVATE');
    const launch = await w.command('launch stg1', { channel: 'C0PRIVATE' });
    const told = await w.slack.waitFor('the explanation', () => w.slack.responsesTo(launch.responseId)[0]);
    const [run] = await w.runs();
    expect(String(told.body.text)).toContain('not_in_channel');
    expect(String(told.body.text)).toContain(`/stage status ${run!.id}`);

    const status = await w.command(`status ${run!.id}`);
    const answer = await w.slack.waitFor('the status answer', () => w.slack.responsesTo(status.responseId)[0]);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(String(answer.body.text)).toContain(`run \`${run!.id}\` on *stg1*: *running*`);
    const list = await w.command('list');
    const envs = await w.slack.waitFor('the list answer', () => w.slack.responsesTo(list.responseId)[0]);
    expect(String(envs.body.text)).toContain('*stg2* — free');
    const unknown = await w.command('status stg1-20200101-abcdef');
    const notFound = await w.slack.waitFor('the not-found answer', () => w.slack.responsesTo(unknown.responseId)[0]);
    expect(String(notFound.body.text)).toMatch(/^:warning: no run stg1-20200101-abcdef/);
  });

  it('posts the daily sweep report to sweeper.reportChannel', async () => {
    const w = await world({ configData: (data) => (data.sweeper = { reportChannel: 'C0REPORTS' }) });
    const report = await w.services.audit.sweep({ mode: 'dry-run', requester: 'cli:test' });
    await w.front.postSweepReport(report.data as Parameters<typeof w.front.postSweepReport>[0]);
    const posted = w.slack.parents().find((m) => m.channel === 'C0REPORTS');
    expect(posted).toBeDefined();
    expect(blockText(posted!.blocks)).toContain('*Daily sweep*');
    // The Home tab reports what that sweep counted.
    await w.homeOpened('U0ALICE');
    const publish = await w.slack.waitFor('views.publish', () => w.slack.callsOf('views.publish')[0]);
    expect(blockText((publish.args.view as { blocks: unknown[] }).blocks)).toMatch(/:sparkles: none \(sweep of <!date/);
  });

  it('publishes the App Home tab: environments, queue, the last day of runs, orphans', async () => {
    const w = await world({ testRunner: slowRunner({ chrome: { ms: 20_000 } }) });
    await w.command('lock stg2 --reason "db migration <rehearsal>"', { user: ADMIN });
    await w.command('launch stg1');
    await w.command('launch stg1', { user: 'U0BOB' });
    await w.slack.waitFor('two parents', () => w.slack.parents().length === 2);
    const res = await w.homeOpened('U0ALICE');
    expect(res.status).toBe(200);
    const publish = await w.slack.waitFor('views.publish', () => w.slack.callsOf('views.publish')[0]);
    expect(publish.args.user_id).toBe('U0ALICE');
    const text = blockText((publish.args.view as { blocks: unknown[] }).blocks);
    const runs = await w.runs();
    const running = runs.find((r) => r.state === 'running');
    const queued = runs.find((r) => r.state === 'queued');
    expect(text).toMatch(new RegExp(`\\*stg1\\* — running run \`${running!.id}\` by <@U0ALICE> since`));
    expect(text).toContain('*stg2* — locked by <@U0ADMIN>');
    expect(text).toContain('db migration &lt;rehearsal&gt;');
    expect(text).toContain(`1. \`${queued!.id}\` by <@U0BOB>`);
    expect(text).toContain('no sweep has run yet');
    // The queued run's parent says where it stands, and changes when the run starts.
    const waiting = w.slack.parents()[1]!;
    expect(blockText(waiting.blocks)).toContain('position 1 in the queue');
    await w.command(`cancel ${running!.id}`);
    await w.slack.waitFor('the queued run to start', () => blockText(w.slack.current(waiting.ts)?.blocks).includes('*stg1* — running') || undefined);
    expect((await w.services.store.getRun(queued!.id))!.state).toBe('running');
  });
});
