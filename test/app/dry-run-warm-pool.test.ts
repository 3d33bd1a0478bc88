// `launch <env> --dry-run` says whether the launch would take the warm path now (issue 14): the app's
// dryRunner wires the store's pool into the dry run (pool-readiness's warmMemberFor, the claim's own
// rule: a ready member of the environment's AMI younger than maxAge), which names the member it would
// claim or why it would go cold. The line is informational: it never fails the dry run, claims nothing,
// and an environment without a warmPool has none. CLI, Slack and PR replies mark it apart from a pass.
import { afterEach, describe, expect, test } from 'vitest';
import { checkAccount } from '../../src/aws/account.ts';
import { dryRunner } from '../../src/app/build-core.ts';
import { renderResult as renderCli } from '../../src/bot/cli/render.ts';
import { dryRunReply } from '../../src/bot/github/render-replies.ts';
import { renderResult as renderSlack } from '../../src/bot/slack/render-result.ts';
import type { Actor, DryRunReport } from '../../src/commands/executor.ts';
import { dryRunLaunch } from '../../src/pipeline/dry-run.ts';
import { createTestRun, type TestRun } from '../pipeline/support/run-context.ts';

const HOUR = 3_600_000;
const POOL = { size: 2, mode: 'stopped' as const, maxAge: 24 * HOUR, baseRef: 'main' };
const ACTOR: Actor = { requester: 'cli:tester', source: 'cli', admin: false };

let t: TestRun;
afterEach(async () => t?.close());

async function withPool(envName = 'stg1'): Promise<TestRun> {
  t = await createTestRun({ envName, configure: (c) => void (c.environments['stg1'] = { ...c.environments['stg1']!, warmPool: POOL }) });
  return t;
}

/** A member of stg1's pool built from `ami`, ready `agoMs` before now (null: still preparing). */
async function member(id: string, ami: string, agoMs: number | null): Promise<void> {
  await t.store.insertPoolMember({ id, env: 'stg1', region: t.env.region, ami, baseRef: 'main', createdAt: new Date(t.clock.now().getTime() - 30 * HOUR) });
  if (agoMs !== null) await t.store.markPoolMemberReady(id, new Date(t.clock.now().getTime() - agoMs));
}

/** The process environment the engine that would drive the launch has (stg1's ephemeral key needs the handover key). */
const KEYED = { STAGEBOT_HANDOVER_KEY: 'k'.repeat(44) };
const dryRun = (envName = 'stg1', env: NodeJS.ProcessEnv = KEYED) => dryRunner(t.config, t.aws, () => t.clock.now(), { store: t.store, env })(envName, ACTOR);

function warmLine(report: DryRunReport) {
  return report.checks.find((c) => c.check === 'warm-pool');
}

describe('launch --dry-run: the warm pool', () => {
  test('a ready member of the current AMI: named with its age and AMI, the launch would claim it; nothing is claimed', async () => {
    await withPool();
    const ami = t.env.ami;
    await member('pool-old-ami', 'ami-0ffffffffffffffff', HOUR);
    await member('pool-too-old', ami, 25 * HOUR);
    await member('pool-fresh', ami, 2 * HOUR);
    await member('pool-preparing', ami, null);
    const report = await dryRun();
    expect(warmLine(report)).toEqual({ check: 'warm-pool', ok: true, info: true, detail: `member pool-fresh ready (built 2h ago from ${ami}), the launch would claim it` });
    // Beside the AMI it is about, and the dry run's verdict is the AWS checks'.
    expect(report.checks.map((c) => c.check).slice(0, 3)).toEqual(['account', 'ami', 'warm-pool']);
    expect(report.ok).toBe(true);
    // A peek: the member is still the pool's.
    expect((await t.store.listPoolMembers('stg1', ['ready'])).map((m) => m.id).sort()).toEqual(['pool-fresh', 'pool-old-ami', 'pool-too-old']);
  });

  test('an ephemeral-key environment and an engine without STAGEBOT_HANDOVER_KEY (a CLI launch): the member is named, and the launch would go cold', async () => {
    await withPool();
    expect(t.env.keyPair).toBe('ephemeral');
    await member('pool-fresh', t.env.ami, 2 * HOUR);
    expect(warmLine(await dryRun('stg1', {}))?.detail).toBe(`member pool-fresh ready (built 2h ago from ${t.env.ami}), but this engine has no STAGEBOT_HANDOVER_KEY to open its sealed SSH key; the launch would go cold`);
    // A named key pair needs no sealed key.
    t.config.environments['stg1'] = { ...t.config.environments['stg1']!, keyPair: 'staging-eu' };
    expect(warmLine(await dryRun('stg1', {}))?.detail).toBe(`member pool-fresh ready (built 2h ago from ${t.env.ami}), the launch would claim it`);
  });

  test('the age is told to the minute', async () => {
    await withPool();
    await member('pool-new', t.env.ami, 20_000);
    expect(warmLine(await dryRun())?.detail).toBe(`member pool-new ready (built just now from ${t.env.ami}), the launch would claim it`);
    await t.store.evictPoolMember('pool-new', 'test');
    await member('pool-b', t.env.ami, 2 * HOUR + 13 * 60_000 + 20_000);
    expect(warmLine(await dryRun())?.detail).toBe(`member pool-b ready (built 2h13m ago from ${t.env.ami}), the launch would claim it`);
  });

  test('no member it could claim: says what the pool holds, and that the launch would go cold', async () => {
    await withPool();
    expect(warmLine(await dryRun())?.detail).toBe('no ready member (none preparing); the launch would go cold');
    await member('pool-a', t.env.ami, null);
    await member('pool-b', t.env.ami, null);
    expect(warmLine(await dryRun())?.detail).toBe('no ready member (2 preparing); the launch would go cold');
    await member('pool-c', 'ami-0ffffffffffffffff', HOUR);
    await member('pool-d', t.env.ami, 25 * HOUR);
    const report = await dryRun();
    expect(warmLine(report)).toMatchObject({ ok: true, info: true, detail: 'no ready member (2 ready but from another AMI or older than maxAge, 2 preparing); the launch would go cold' });
    expect(report.ok).toBe(true);
  });

  test('an environment without a warmPool has no warm-pool line', async () => {
    t = await createTestRun({ envName: 'stg1' });
    expect(t.env.warmPool).toBeUndefined();
    const report = await dryRun();
    expect(warmLine(report)).toBeUndefined();
    expect(report.ok).toBe(true);
  });

  test('when the pool cannot be read, the line says so and the dry run does not fail for it', async () => {
    await withPool();
    const report = await dryRunLaunch({
      config: t.config,
      aws: t.aws,
      env: t.env,
      runId: t.runId,
      requester: 'cli:tester',
      source: 'cli',
      checkAccount: (region) => checkAccount(t.aws.sts(region), t.config.aws.accountAllowlist),
      now: t.clock.now(),
      warmPath: async () => {
        throw new Error('database is locked');
      },
    });
    expect(warmLine(report)).toEqual({ check: 'warm-pool', ok: true, info: true, detail: 'could not tell whether a member is ready (database is locked); the launch claims one if it is' });
    expect(report.ok).toBe(true);
  });

  test('CLI, Slack and PR replies mark the line as information, not as a passed check', async () => {
    await withPool();
    const report = await dryRun();
    const result = { kind: 'dry-run' as const, env: 'stg1', report };
    const cli = renderCli(result);
    expect(cli).toContain('  i warm-pool: no ready member (none preparing); the launch would go cold');
    expect(cli).toContain('  ✓ ami: ');
    expect(JSON.stringify(renderSlack(result, '/stage'))).toContain(':information_source: warm-pool: no ready member (none preparing); the launch would go cold');
    expect(dryRunReply('stg1', report).split('\n')).toContain('- ℹ️ warm\\-pool: no ready member \\(none preparing\\); the launch would go cold');
  });
});
