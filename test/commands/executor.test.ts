// The command runner's part in `sweep`: it hands the mode and `--confirm` to the audit, and only for
// admins does it reap at all. The audit here records what it was asked; the sweep itself is tested in
// test/audit, the Slack button that uses this in test/bot/slack.
import { describe, expect, it } from 'vitest';
import { parseText } from '../../src/commands/index.ts';
import { PermissionError } from '../../src/errors.ts';
import { CommandExecutor, type Actor, type Audit, type ExecutorStore } from '../../src/commands/executor.ts';
import type { Engine } from '../../src/pipeline/engine.ts';
import type { SweepReport } from '../../src/commands/reports.ts';

type SweepAsk = Parameters<Audit['sweep']>[0];

function runnerWithAudit(): { runner: CommandExecutor; asked: SweepAsk[] } {
  const asked: SweepAsk[] = [];
  const audit: Audit = {
    async sweep(opts) {
      asked.push(opts);
      return { data: { mode: opts.mode } as SweepReport, text: `swept (${opts.mode})`, problems: [] };
    },
    async cost() {
      throw new Error('not asked in these tests');
    },
    async orphans() {
      throw new Error('not asked in these tests');
    },
    async spend() {
      throw new Error('not asked in these tests');
    },
  };
  // `sweep` reaches neither the engine nor the store.
  const engine = {} as unknown as Engine;
  return { runner: new CommandExecutor({ engine, store: {} as ExecutorStore, audit, helpPrefix: '/stage' }), asked };
}

const ctx = { environments: ['stg1'], browsers: ['chrome'] };
const admin: Actor = { requester: 'slack:U0ADMIN', source: 'slack', admin: true };
const person: Actor = { requester: 'slack:U0BOB', source: 'slack', admin: false };

describe('CommandRunner sweep', () => {
  it.each([
    ['sweep --reap --confirm', { mode: 'reap', confirm: true }],
    ['sweep --reap', { mode: 'reap', confirm: false }],
    ['sweep', { mode: 'dry-run', confirm: false }],
  ])('%s reaches the audit as %o', async (text, expected) => {
    const { runner, asked } = runnerWithAudit();
    const result = await runner.execute(parseText(text, ctx), admin);
    // The front's prefix goes along: the report says how to confirm in that front.
    expect(asked).toEqual([{ ...expected, requester: 'slack:U0ADMIN', prefix: '/stage' }]);
    expect(result).toEqual({ kind: 'sweep', report: { data: { mode: expected.mode }, text: `swept (${expected.mode})`, problems: [] } });
  });

  it('refuses a confirmed reap to someone who is not an admin, before the audit is asked', async () => {
    const { runner, asked } = runnerWithAudit();
    await expect(runner.execute(parseText('sweep --reap --confirm', ctx), person)).rejects.toThrow(PermissionError);
    await expect(runner.execute(parseText('sweep --reap --confirm', ctx), person)).rejects.toThrow('only admins may run `sweep --reap`');
    expect(asked).toEqual([]);
  });

  it('never confirms a dry run, whatever a hand-built command says', async () => {
    const { runner, asked } = runnerWithAudit();
    await runner.execute({ verb: 'sweep', mode: 'dry-run', confirm: true }, person);
    expect(asked).toEqual([{ mode: 'dry-run', requester: 'slack:U0BOB', confirm: false, prefix: '/stage' }]);
  });
});
