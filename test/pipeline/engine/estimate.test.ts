// Issue 14, ETA and cost up front: a launch says what it will cost (the environment's hourly rate at the
// sweeper's prices, times a usual run of it plus the keep), the finished run shows the actual cost
// beside it, and its timing table shows each step against its recent p50.
import { expect, it } from 'vitest';
import { CommandExecutor } from '../../../src/commands/executor.ts';
import { estimateText, actualCostText } from '../../../src/commands/estimate-text.ts';
import { renderRunDocument, runDocument } from '../../../src/bot/cli/render.ts';
import { EBS_GB_MONTH, HOURS_PER_MONTH, INSTANCE_HOURLY, PUBLIC_IPV4_HOURLY } from '../../../src/cost/price-table.ts';
import { createWorld, launchAndWait, REGION, INSTANCE_TYPE, useWorlds } from './harness.ts';

const world = useWorlds(createWorld);
const HOUR = 3_600_000;

it('the first launch of an environment states its hourly rate; later ones a usual run, and the keep on top', async () => {
  const w = await world();
  const engine = w.engine();
  const commands = new CommandExecutor({ engine, store: w.store });
  const env = w.config.environments[w.envs[0]!.name]!;
  const hourly =
    INSTANCE_HOURLY[REGION]![INSTANCE_TYPE]! +
    (env.ssh.host.includes('{publicIp}') ? PUBLIC_IPV4_HOURLY : 0) +
    (EBS_GB_MONTH[REGION]![env.rootVolume.type]! * env.rootVolume.sizeGb) / HOURS_PER_MONTH;

  const first = await launchAndWait(engine, w.request());
  const firstView = await commands.view(first.id);
  // No history of the environment but this run itself: the rate, and no figure to pretend.
  expect(firstView.estimate).toMatchObject({ runMs: null, keepMs: 0, expectedUsd: null, unknown: [] });
  expect(firstView.estimate!.hourlyUsd).toBeCloseTo(hourly, 10);
  expect(firstView.timings.every((t) => t.usualMs === undefined)).toBe(true);

  const second = await launchAndWait(engine, w.request({ keepMs: null }));
  const steps = await w.store.getSteps(first.id);
  const took = (name: string) => {
    const s = steps.find((x) => x.name === name)!;
    return s.finishedAt!.getTime() - s.startedAt!.getTime();
  };
  const view = await commands.view(second.id);
  // The first run is the history: each step's usual is what it took there.
  for (const t of view.timings) if (steps.some((s) => s.name === t.step && s.state === 'succeeded')) expect(t.usualMs, t.step).toBe(took(t.step));
  const chain = ['launch', 'open-ssh', 'wait-ssh', 'arm-switch', 'service-update', 'register'].reduce((sum, n) => sum + took(n), 0);
  const usual = chain + Math.max(0, took('prepare-tests') - chain) + took('tests') + took('teardown');
  expect(view.estimate!.runMs).toBe(usual);
  expect(view.estimate!.expectedUsd).toBeCloseTo((hourly * usual) / HOUR, 10);
  // The finished run's document and text carry the expectation beside the actual cost.
  const doc = runDocument(view);
  expect(doc.estimate?.text).toBe(estimateText(view.estimate!));
  expect(renderRunDocument(doc)).toContain(`cost: ${actualCostText(view.cost, view.estimate)}`);
  expect(actualCostText(view.cost, view.estimate)).toMatch(/\(expected ≈ (\$\d+\.\d\d|<\$0\.01)\)$/);

  // With a keep, the keep is added to the usual run: the figure the acknowledgement states.
  const { run: kept } = await engine.launch(w.request({ keepMs: 8 * HOUR }));
  const keptView = await commands.view(kept.id);
  expect(keptView.estimate!.expectedUsd).toBeCloseTo((hourly * (keptView.estimate!.runMs! + 8 * HOUR)) / HOUR, 10);
  expect(estimateText(keptView.estimate!)).toMatch(/^≈ \$0\.\d\d\/h; with keep=8h ≈ \$\d+\.\d\d$/);
  await engine.cancel(kept.id, 'slack:U1');
});
