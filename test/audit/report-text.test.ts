// The plain-text report the CLI prints and the log keeps.
import { expect, test } from 'vitest';
import { renderSweepText } from '../../src/audit/index.ts';
import { DAY, ENVS, World, makeConfig } from './support/world.ts';

const FAILED = 'stg4-20261118-a1b2c3';

test('lists each orphan with cost, mark and reason, then totals, confirmation, drift and errors', async () => {
  const config = makeConfig({ sweeper: { reapLimit: 1 } });
  const stg1 = config.environments['stg1'];
  if (stg1) stg1.ami = 'ami-0bad0bad0bad0bad0';
  const w = await World.create({ config });
  await w.run(FAILED, 'failed');
  const a = w.instance(FAILED);
  const b = w.rule(FAILED);
  const gone = w.instance(FAILED, { state: 'terminated', createdAt: new Date(w.now.getTime() - 60_000) });
  w.cloud.registerTarget(ENVS.stg4.tg, gone);

  const first = renderSweepText(await w.sweep(), 'stagebot');
  expect(first).toMatch(/^Sweep #1 \(dry run\) at 2026-11-21 07:00 UTC: 2 regions \(eu-west-1, us-east-1\), \d+ AWS calls$/m);
  expect(first).toMatch(/^3 orphans \(1 instances, 1 SG rules, 1 ALB targets\): \$\d+\.\d\d\/day, \$\d+\.\d\d so far$/m);
  expect(first).toContain(`  instance ${a} [eu-west-1, stg4] $`);
  expect(first).toMatch(/reap after 2026-11-22 07:00 UTC \(in 1 day\)/);
  expect(first).toContain(`    run ${FAILED} failed 3 days ago; instance still running`);
  expect(first).toContain(`  target stg4-web|${gone} [eu-west-1, stg4]`);
  expect(first).toContain(`security-group-rule ${b}`);
  // What a dry run wrote, exactly: no deletes, the reap-after mark, the sweep's record.
  expect(first).toMatch(/^Dry run: nothing was deleted\. It wrote the tag stagebot:reap-after on 3 new orphans \(their grace period starts; an ALB target's mark is kept in the store, targets carry no tags\), and this sweep's record in the store\.$/m);
  expect(first).toContain('Drift: stg1: AMI ami-0bad0bad0bad0bad0 does not exist');

  w.cloud.advance(2 * DAY);
  const second = renderSweepText(await w.sweep({ mode: 'reap' }), 'stagebot');
  // The CLI's own way to confirm, not a Slack button.
  expect(second).toContain('Nothing was reaped: 3 orphans are due, more than the limit of 1 per sweep. Confirm with `stagebot sweep --reap --confirm`.');
  expect(second).not.toContain('Reap now');
  expect(second).not.toContain('Dry run');
  expect(second).toContain('due for reaping');

  w.config = makeConfig({ aws: { accountAllowlist: ['999999999999'] } });
  const third = renderSweepText(await w.sweep({ mode: 'reap', confirm: true }), 'stagebot');
  expect(third.split('\n')[0]).toBe('refused: AWS account 123456789012 is not in aws.accountAllowlist (allowed: 999999999999); nothing was listed, marked or reaped');
  expect(third).not.toContain('No orphans');
});

test('a clean sweep says so, and what was reaped since the last report', async () => {
  const w = await World.create();
  await w.run(FAILED, 'failed');
  w.instance(FAILED);
  await w.sweep();
  w.cloud.advance(2 * DAY);
  const reaping = renderSweepText(await w.sweep({ mode: 'reap' }), 'stagebot');
  expect(reaping).toMatch(/^Reaped 1 \(they had cost \$\d+\.\d\d while orphaned\):$/m);
  // The next daily (dry-run) report tells what was reaped since the previous one, once.
  const after = renderSweepText(await w.sweep(), 'stagebot');
  expect(after).toContain('No orphans.');
  expect(after).toMatch(/^Reaped since the last report: 1 \(\$\d+\.\d\d\)\.$/m);
  const later = renderSweepText(await w.sweep(), 'stagebot');
  expect(later).not.toContain('Reaped since the last report');
});
