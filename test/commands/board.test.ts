// Issue 14 on the read side: `list`, `status <run>` of a queued run and Slack's App Home say where a
// queued run stands and when it starts ("position 1 · starts in ~12 min"), and `list` shows each warm
// pool's standing cost beside what a warm launch saves.
import { expect, it } from 'vitest';
import { renderResult as renderCli } from '../../src/bot/cli/render.ts';
import { renderHome } from '../../src/bot/slack/render-home.ts';
import { renderResult as renderSlack } from '../../src/bot/slack/render-result.ts';
import { CommandExecutor } from '../../src/commands/executor.ts';
import { formatUsd } from '../../src/cost/estimate.ts';
import { poolStandingCost } from '../../src/cost/pool-cost.ts';
import { createPrices } from '../../src/cost/prices.ts';
import { blockText } from '../bot/slack/support/fake-slack.ts';
import { createWorld, fakeTestRunner, launchAndWait, useWorlds, waitForState, type World } from '../pipeline/engine/harness.ts';

const world = useWorlds(createWorld);
const actor = { requester: 'slack:U0ENGINE1' as const, source: 'slack' as const, admin: false };
const POOL = { size: 2, mode: 'stopped' as const, maxAge: 86_400_000, baseRef: 'main' };
const WHEN = /^position 1 · (starts in ~\d+ min|starts any moment)$/;

async function queuedBehindARunningOne(w: World) {
  const quick = w.engine();
  expect((await launchAndWait(quick, w.request())).state).toBe('succeeded');
  const slow = w.engine({ testRunner: fakeTestRunner({ ms: 30_000 }) });
  const { run: running } = await slow.launch(w.request());
  await waitForState(w.store, running.id, ['running']);
  const { run: queued, position } = await slow.launch(w.request());
  expect(position).toBe(1);
  return { engine: slow, running, queued };
}

it('list: each queued run with its place and ETA, and the warm pool with its cost and "no warm launches yet" (CLI, Slack, JSON)', async () => {
  const w = await world({ configure: (c) => void (c.environments['stg1']!.warmPool = POOL) });
  const { engine, running, queued } = await queuedBehindARunningOne(w);
  const commands = new CommandExecutor({ engine, store: w.store });
  const list = await commands.execute({ verb: 'list' }, actor);
  if (list.kind !== 'environments') throw new Error(`list answered ${list.kind}`);
  expect(list.queueNotes[queued.id]).toMatch(WHEN);
  const perDay = poolStandingCost(createPrices(w.config.pricing), { ...w.config.environments['stg1']!, warmPool: POOL }).perDayUsd;
  const poolLine = `pool stg1: 2 stopped members wanted, none prepared yet, ${formatUsd(perDay)}/day once full · no warm launches yet`;
  expect(list.pools).toHaveLength(1);

  const cli = renderCli(list);
  expect(cli).toContain(`  1. ${queued.id} by ${queued.requester} (stg1): ${list.queueNotes[queued.id]}`);
  expect(cli.split('\n')).toContain(poolLine);
  const slack = renderSlack(list, '/stage').text;
  expect(slack).toContain(`\`${queued.id}\``);
  expect(slack).toContain(` — ${list.queueNotes[queued.id]}`);
  expect(slack).toContain(`:fire: ${poolLine}`);

  // Slack's App Home: the same queue line and pool line.
  const board = await commands.board();
  const home = blockText(renderHome({ ...board, environments: board.environments, prefix: '/stage' }).blocks);
  expect(board.queueNotes[queued.id]).toMatch(WHEN);
  expect(home).toContain(` — ${board.queueNotes[queued.id]}`);
  expect(home).toContain(`:fire: ${poolLine}`);

  await engine.cancel(queued.id, actor.requester);
  await engine.cancel(running.id, actor.requester);
});

it('status of a queued run says where it stands and when it starts; of a running one, nothing of the kind', async () => {
  const w = await world();
  const { engine, running, queued } = await queuedBehindARunningOne(w);
  const commands = new CommandExecutor({ engine, store: w.store });
  const status = await commands.execute({ verb: 'status', run: queued.id, env: null }, actor);
  if (status.kind !== 'run') throw new Error(`status answered ${status.kind}`);
  const line = renderCli(status).split('\n').find((l) => l.startsWith('queued: '));
  expect(line?.slice('queued: '.length)).toMatch(WHEN);
  expect(renderSlack(status, '/stage').text).toMatch(/:hourglass_flowing_sand: position 1 · (starts in ~\d+ min|starts any moment)\n/);

  const other = await commands.execute({ verb: 'status', run: running.id, env: null }, actor);
  expect(renderCli(other)).not.toContain('queued: ');
  expect(renderSlack(other, '/stage').text).not.toContain('position 1');
  // No pool configured: list says nothing of pools.
  const list = await commands.execute({ verb: 'list' }, actor);
  expect(list.kind === 'environments' && list.pools).toEqual([]);
  expect(renderCli(list)).not.toContain('pool ');

  await engine.cancel(queued.id, actor.requester);
  await engine.cancel(running.id, actor.requester);
});

it("behind a person's lock: no ETA, who holds it, in list and status", async () => {
  const w = await world();
  await w.store.claimLock({ env: 'stg1', holder: 'slack:U0CAROL', holderKind: 'person', reason: 'demo', sticky: true, since: w.clock.now() });
  const engine = w.engine();
  const commands = new CommandExecutor({ engine, store: w.store });
  const { run } = await engine.launch(w.request());
  const list = await commands.execute({ verb: 'list' }, actor);
  expect(list.kind === 'environments' && list.queueNotes[run.id]).toBe('position 1 · starts when slack:U0CAROL unlocks it');
  const status = await commands.execute({ verb: 'status', run: run.id, env: null }, actor);
  expect(renderCli(status)).toContain('queued: position 1 · starts when slack:U0CAROL unlocks it');
  await engine.cancel(run.id, actor.requester);
});
