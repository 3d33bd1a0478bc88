// The daily report's "Reap now" button through stagebot's real HTTP server: the report is posted with
// the button when orphans are past their grace period, and signed clicks as Slack sends them run
// `sweep --reap --confirm` on the fake cloud — for admins only, once however often it is clicked, and
// only from the latest report.
import { describe, expect, it } from 'vitest';
import type { SweepReport } from '../../../src/audit/index.ts';
import { readTags, runTags } from '../../../src/aws/tags.ts';
import { ACTIONS } from '../../../src/bot/slack/actions-ids.ts';
import { INSTALLATION, INSTANCE_TYPE, REGION, useWorlds } from '../../pipeline/engine/harness.ts';
import { blockText, buttonsOf, type FakeMessage } from './support/fake-slack.ts';
import { ADMIN, startSlackWorld, type SlackWorld } from './support/slack-world.ts';

const DAY = 86_400_000;
const REPORTS = 'C0REPORTS';
/** A run the store never heard of (a crashed replica's): its assets are orphans. */
const LOST_RUN = 'stg1-20200101-dead01';

const slackWorld = useWorlds(startSlackWorld);

function world(): Promise<SlackWorld> {
  return slackWorld({ configData: (data) => (data.sweeper = { reportChannel: REPORTS, reapLimit: 25, gracePeriod: '24h' }) });
}

/** `n` instances of the lost run, marked by a sweep and then left past their grace period. */
async function dueOrphans(w: SlackWorld, n: number): Promise<string[]> {
  const now = w.world.clock.now();
  const tags = readTags(
    runTags({ installation: INSTALLATION, runId: LOST_RUN, env: 'stg1', requester: 'slack:U0GONE', source: 'slack', expiresAt: new Date(now.getTime() - DAY), name: `stg1 ${LOST_RUN}` }),
  );
  const instances = Array.from({ length: n }, () => w.world.cloud.addInstance({ region: REGION, tags, instanceType: INSTANCE_TYPE, rootVolumeGb: 200 }));
  await w.services.audit.sweep({ mode: 'dry-run', requester: 'cli:test' });
  w.world.clock.advance(2 * DAY);
  return instances;
}

async function post(w: SlackWorld, report: SweepReport): Promise<FakeMessage> {
  const before = w.slack.parents().length;
  await w.front.postSweepReport(report);
  const message = w.slack.parents()[before];
  expect(message?.channel).toBe(REPORTS);
  return message!;
}

function gone(w: SlackWorld, id: string): boolean {
  const state = w.world.cloud.region(REGION).instances.get(id)?.state;
  return state === 'shutting-down' || state === 'terminated';
}

/** Instance ids that TerminateInstances was called with, one entry per call and id. */
function terminated(w: SlackWorld): string[] {
  return w.world.cloud.calls.filter((c) => c.command === 'TerminateInstances').flatMap((c) => c.input.InstanceIds as string[]);
}

function told(w: SlackWorld, responseId: string): string[] {
  return w.slack.responsesTo(responseId).map((r) => String(r.body.text));
}

describe('Reap now on the daily report', () => {
  it('over the limit: refused to a non-admin with the rule, and reaps all 26 once for an admin who clicks twice', async () => {
    const w = await world();
    const instances = await dueOrphans(w, 26);
    const report = await w.services.audit.scheduledSweep();
    expect(report).toMatchObject({ needsConfirmation: true, dueCount: 26, limit: 25, reaped: [] });
    const message = await post(w, report);

    const [button] = buttonsOf(message.blocks);
    expect(button).toEqual({ actionId: ACTIONS.reapNow, value: String(report.sweepId), text: 'Reap now (26)' });
    const element = (message.blocks.find((b) => (b as { type: string }).type === 'actions') as { elements: { confirm: { text: { text: string } } }[] }).elements[0]!;
    expect(element.confirm.text.text).toMatch(/^Delete the 26 orphaned assets past their grace period, costing \$\d+\.\d\d a day\?/);
    expect(blockText(message.blocks)).toContain('26 were due, more than the limit of 25: nothing was reaped');

    // Someone who is not an admin, in the report's channel: refused, naming the rule; nothing happens.
    const bob = await w.click(ACTIONS.reapNow, String(report.sweepId), message.ts, { user: 'U0BOB', channel: REPORTS });
    expect(bob.status).toBe(200);
    await w.settle();
    expect(told(w, bob.responseId)).toHaveLength(1);
    expect(told(w, bob.responseId)[0]).toMatch(/^:no_entry: `\/stage sweep --reap` is for admins \(`slack\.admins`\)/);
    expect(w.slack.responsesTo(bob.responseId)[0]!.body.response_type).toBe('ephemeral');
    expect(terminated(w)).toEqual([]);
    expect(w.slack.repliesTo(message.ts)).toEqual([]);

    // The admin double-clicks: one reap of all 26, each terminated once; the other click is told.
    const clicks = await Promise.all([1, 2].map(() => w.click(ACTIONS.reapNow, String(report.sweepId), message.ts, { user: ADMIN, channel: REPORTS })));
    expect(clicks.map((c) => c.status)).toEqual([200, 200]);
    await w.settle();
    expect(instances.filter((id) => !gone(w, id))).toEqual([]);
    expect(terminated(w).sort()).toEqual([...instances].sort());
    const answers = clicks.flatMap((c) => told(w, c.responseId));
    expect(answers).toEqual([`*Reap now* for this report (sweep #${report.sweepId}) was already asked for; the result is in its thread`]);

    // The result, in the report's thread: who, how many, what they had cost.
    const replies = w.slack.repliesTo(message.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.channel).toBe(REPORTS);
    const result = blockText(w.slack.current(replies[0]!.ts)!.blocks);
    expect(result).toMatch(/^:wastebasket: \*Reap now\* by <@U0ADMIN>: reaped \*26\* assets, which had cost \$\d+\.\d\d while orphaned/);
    // Twenty are listed by id, the rest counted.
    expect(instances.filter((id) => result.includes(`instance \`${id}\` (${REGION})`))).toHaveLength(20);
    expect(result).toContain('… and 6 more');
    expect(result).toContain('no orphaned assets are left');

    // The store has one confirmed reap sweep and the 26 reaped instances.
    const sweeps = await w.services.store.listSweeps(10);
    expect(sweeps.filter((s) => s.summary?.confirmed === true)).toHaveLength(1);
    const reaped = await w.services.store.reapedSince(new Date(0));
    expect(reaped.filter((r) => r.kind === 'instance').map((r) => r.assetId).sort()).toEqual([...instances].sort());
  });

  it("only the latest report's button reaps: an older one is refused and points to the newer", async () => {
    const w = await world();
    const instances = await dueOrphans(w, 2);
    const older = await post(w, (await w.services.audit.sweep({ mode: 'dry-run', requester: 'cli:test' })).data as SweepReport);
    const newer = await post(w, (await w.services.audit.sweep({ mode: 'dry-run', requester: 'cli:test' })).data as SweepReport);
    const olderId = buttonsOf(older.blocks)[0]!.value;
    const newerId = buttonsOf(newer.blocks)[0]!.value;
    expect(Number(newerId)).toBeGreaterThan(Number(olderId));

    const stale = await w.click(ACTIONS.reapNow, olderId, older.ts, { user: ADMIN, channel: REPORTS });
    await w.settle();
    expect(told(w, stale.responseId)).toEqual([
      `:warning: this report (sweep #${olderId}) has been replaced by a newer one (sweep #${newerId}); use the *Reap now* button there, after a look at its list`,
    ]);
    expect(terminated(w)).toEqual([]);

    await w.click(ACTIONS.reapNow, newerId, newer.ts, { user: ADMIN, channel: REPORTS });
    await w.settle();
    expect(instances.every((id) => gone(w, id))).toBe(true);
    expect(blockText(w.slack.current(w.slack.repliesTo(newer.ts)[0]!.ts)!.blocks)).toContain('reaped *2* assets');
  });
});
