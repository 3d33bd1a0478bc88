// The whole pipeline through the real `stagebot` CLI (child processes) against moto over HTTP: only
// AWS_ENDPOINT_URL and fake credentials differ from production. SSH goes to a real OpenSSH server on
// loopback, the tests step runs a real local process. After every run: nothing of it is left in moto,
// and every asset it created carried its tags from the moment it existed (moto's own recording).
import { DescribeInstancesCommand, DescribeTagsCommand } from '@aws-sdk/client-ec2';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TAG } from '../../src/aws/tags.ts';
import { processesMatching } from '../support/processes.ts';
import { creationsOf, launchedInstances, untaggedCreations } from './support/leftovers.ts';
import { ec2ErrorXml, type ProxyEntry } from './support/proxy.ts';
import { expectAllowedByPolicy, expectNothingLeft, findRun, jsonOf, startBlockedLaunch, stepStates, waitFor } from './support/runs.ts';
import { describeWithMoto } from './support/suite.ts';
import { STAGEBOT_KEY, buildWorld, type EmuWorld } from './support/world.ts';

let w: EmuWorld;
/** Calls made under a configuration of their own, checked against that configuration's policy where they were made. */
const checkedElsewhere = new Set<ProxyEntry>();

describeWithMoto('the pipeline through the CLI, against moto', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    w = await buildWorld();
    await w.moto.startRecording();
  }, 60_000);
  afterAll(async () => {
    await w?.close();
  });

  it('a run that succeeds: every step, both browsers, every asset deleted, nothing left in moto', async () => {
    const res = await w.stagebot(['launch', 'stg1', '--browsers=chrome,firefox', '--ref=release-42', '--output', 'json']);
    expect(res.code, res.stderr).toBe(0);
    const doc = jsonOf(res);
    expect(doc).toMatchObject({ env: 'stg1', state: 'succeeded', requestedBy: 'cli:qa', error: null });
    const steps = stepStates(doc);
    expect(Object.entries(steps).filter(([, state]) => state !== 'succeeded')).toEqual([]);
    expect(Object.keys(steps)).toEqual(expect.arrayContaining(['prepare-tests', 'launch', 'open-ssh', 'wait-ssh', 'service-update', 'register', 'tests', 'teardown']));
    expect(doc.browsers.map((b: any) => `${b.browser}:${b.outcome}`)).toEqual(['chrome:passed', 'firefox:passed']);
    // An ephemeral key pair, the instance, its volume and network interface, the SSH rule and the target: all created, all deleted.
    expect(doc.assets.map((a: any) => a.kind).sort()).toEqual(['instance', 'key-pair', 'network-interface', 'security-group-rule', 'target', 'volume']);
    expect(doc.assets.filter((a: any) => a.deletedAt === null)).toEqual([]);
    expect(creationsOf(await w.moto.recording(), doc.runId)).toEqual({ CreateKeyPair: 1, RunInstances: 1, AuthorizeSecurityGroupIngress: 1 });
    await expectNothingLeft(w, doc.runId);
  });

  it('a recipe step that fails: the run fails at service-update, is torn down, and says which step and why', async () => {
    writeFileSync(w.flags.failRecipe('stg3'), '');
    try {
      const res = await w.stagebot(['launch', 'stg3', '--output', 'json']);
      expect(res.code).toBe(1);
      const doc = jsonOf(res);
      expect(doc.state).toBe('failed');
      expect(doc.error).toMatch(/check the release/);
      const steps = stepStates(doc);
      expect(steps).toMatchObject({ launch: 'succeeded', 'wait-ssh': 'succeeded', 'service-update': 'failed', teardown: 'succeeded' });
      expect(steps.register ?? 'not run').not.toBe('succeeded');
      expect(steps.tests ?? 'not run').not.toBe('succeeded');
      // A fixed key pair: the run created no key pair of its own.
      expect(doc.assets.map((a: any) => a.kind)).not.toContain('key-pair');
      await expectNothingLeft(w, doc.runId);
    } finally {
      w.flags.clear('stg3');
    }
  });

  it('a browser whose tests fail: the run fails with the failing tests named, and is torn down', async () => {
    w.flags.failTests('stg4', ['firefox']);
    try {
      const res = await w.stagebot(['launch', 'stg4', '--browsers=chrome,firefox', '--output', 'json']);
      expect(res.code).toBe(1);
      const doc = jsonOf(res);
      expect(doc.state).toBe('failed');
      expect(stepStates(doc)).toMatchObject({ register: 'succeeded', teardown: 'succeeded' });
      const firefox = doc.browsers.find((b: any) => b.browser === 'firefox');
      expect(firefox).toMatchObject({ outcome: 'failed', failed: 2 });
      expect(firefox.failingTests.length).toBe(2);
      expect(doc.browsers.find((b: any) => b.browser === 'chrome')).toMatchObject({ outcome: 'passed' });
      await expectNothingLeft(w, doc.runId);
    } finally {
      w.flags.clear('stg4');
    }
  });

  it('--keep, then extend, then teardown, each from its own process: the environment stays up, its expiry tag moves, then everything goes', async () => {
    // A fixed key pair: the processes after the launch can reach the host too (an ephemeral key lives
    // only in the process that launched the run).
    const kept = await w.stagebot(['launch', 'stg4', '--keep=30m', '--output', 'json']);
    expect(kept.code, kept.stderr).toBe(0);
    const doc = jsonOf(kept);
    expect(doc.state).toBe('kept');
    const runId: string = doc.runId;
    try {
      const [instanceId] = launchedInstances(w.proxy.log, runId);
      const ec2 = w.ec2(w.envs.stg4.region);
      const state = async () => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId!] }))).Reservations![0]!.Instances![0]!.State!.Name;
      const expiry = async () =>
        (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [instanceId!] }, { Name: 'key', Values: [TAG.expiresAt] }] }))).Tags?.[0]?.Value;
      expect(await state()).toBe('running');
      const before = await expiry();

      const extended = await w.stagebot(['extend', runId, '--by=2h']);
      expect(extended.code, extended.stderr).toBe(0);
      const after = await expiry();
      expect(Date.parse(after!) - Date.parse(before!)).toBeGreaterThanOrEqual(2 * 3_600_000 - 60_000);
      expect(await state()).toBe('running');

      const torn = await w.stagebot(['teardown', runId]);
      expect(torn.code, torn.stderr).toBe(0);
      const status = findRun(jsonOf(await w.stagebot(['status', runId, '--output', 'json'])), runId);
      expect(status?.state).toMatch(/^(succeeded|cancelled)$/);
      await expectNothingLeft(w, runId);
    } finally {
      // Whatever failed above, the environment is not left kept for the tests after this one.
      await w.stagebot(['teardown', runId]);
    }
  });

  it('retest (issue 14): the tests again on a kept environment, its own process, with the grep as one argument; refused once the environment is gone', async () => {
    w.flags.failTests('stg4', ['firefox']);
    const kept = await w.stagebot(['launch', 'stg4', '--browsers=chrome,firefox', '--keep=30m', '--output', 'json']);
    const doc = jsonOf(kept);
    expect(doc.state, kept.stderr).toBe('kept');
    expect(doc.error).toMatch(/firefox/);
    // The acknowledgement said what it would cost (the document repeats it).
    expect(doc.estimate).toMatchObject({ keepMs: 30 * 60_000 });
    expect(doc.estimate.text).toMatch(/^≈ \$\d+\.\d\d\/h; with keep=30m ≈ \$\d+\.\d\d/);
    expect(kept.stderr).toContain(`stagebot: run ${doc.runId}: expected cost ≈ $`);
    const runId: string = doc.runId;
    const canary = join(w.dir, 'pwned');
    const grep = `checkout "flow"; touch ${canary}; $(touch ${canary})`;
    try {
      const [instanceId] = launchedInstances(w.proxy.log, runId);
      const ec2 = w.ec2(w.envs.stg4.region);
      const expiry = async () =>
        (await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [instanceId!] }, { Name: 'key', Values: [TAG.expiresAt] }] }))).Tags?.[0]?.Value;
      const before = await expiry();
      const firstArgs = JSON.parse(readFileSync(join(w.dir, 'flags', `${runId}.firefox.args.json`), 'utf8'));
      expect(firstArgs).toEqual({ argv: [], testUser: 'qa-firefox@acme.example', grep: null });

      w.flags.clear('stg4');
      const retest = await w.stagebot(['retest', runId, '--browsers=firefox', '--grep', grep, '--output', 'json']);
      expect(retest.code, retest.stderr).toBe(0);
      const after = jsonOf(retest);
      expect(after).toMatchObject({ runId, state: 'kept', error: null });
      expect(after.browsers.map((b: any) => `${b.browser}:${b.outcome}`).sort()).toEqual(['chrome:passed', 'firefox:passed']);
      // Same user, the pattern one argument and TEST_GREP, byte for byte; nothing ran in a shell.
      expect(JSON.parse(readFileSync(join(w.dir, 'flags', `${runId}.firefox.args.json`), 'utf8'))).toEqual({ argv: ['--grep', grep], testUser: 'qa-firefox@acme.example', grep });
      expect(existsSync(canary)).toBe(false);
      // Its expiry (the tag the sweeper reads) moved out by tests.maxWait (2m), and no second instance was launched.
      expect(Date.parse((await expiry())!) - Date.parse(before!)).toBeGreaterThanOrEqual(2 * 60_000 - 1_000);
      expect(launchedInstances(w.proxy.log, runId)).toHaveLength(1);

      expect((await w.stagebot(['teardown', runId])).code).toBe(0);
      await expectNothingLeft(w, runId);
      const gone = await w.stagebot(['retest', runId, '--output', 'json']);
      expect(gone.code).toBe(1);
      expect(JSON.parse(gone.stdout).errors).toEqual([expect.stringMatching(new RegExp(`^run ${runId} is (succeeded|cancelled|failed): its environment is gone; \`launch stg4 --keep\` starts a new one$`))]);
    } finally {
      w.flags.clear('stg4');
      await w.stagebot(['teardown', runId]);
    }
  });

  it('--dry-run checks every permission and resource without creating anything', async () => {
    const recordedBefore = (await w.moto.recording()).length;
    const res = await w.stagebot(['launch', 'stg1', '--dry-run', '--output', 'json']);
    expect(res.code, res.stdout).toBe(0);
    const report = jsonOf(res);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c: any) => c.check)).toEqual([
      'account',
      'ami',
      'security-group',
      ...w.envs.stg1!.subnets.map((s) => `run-instances ${s}`),
      'open-ssh',
      'key-pair',
      'target-group',
    ]);
    const calls = (await w.moto.recording()).slice(recordedBefore).filter((r) => r.accessKey === STAGEBOT_KEY);
    const mutating = calls.filter((r) => !/^(Describe|Get)/.test(r.action));
    expect(mutating.length).toBeGreaterThan(0);
    expect(mutating.filter((r) => r.params.DryRun !== 'true').map((r) => r.action)).toEqual([]);
  });

  it('--dry-run names a subnet that does not exist (moto needs the shim for this: AWS validates a dry run)', async () => {
    const real = w.envs.stg3!.subnets;
    w.writeConfig((d) => (d.environments.stg3.subnets = [real[0], 'subnet-0123456789abcdef0']));
    const from = w.proxy.log.length;
    try {
      const res = await w.stagebot(['launch', 'stg3', '--dry-run', '--output', 'json']);
      const calls = w.proxy.log.slice(from);
      for (const e of calls) checkedElsewhere.add(e);
      await expectAllowedByPolicy(w, calls);
      expect(res.code).toBe(1);
      const checks = jsonOf(res).checks as { check: string; ok: boolean; detail: string }[];
      expect(checks.find((c) => c.check === `run-instances ${real[0]}`)).toMatchObject({ ok: true });
      expect(checks.find((c) => c.check === 'run-instances subnet-0123456789abcdef0')).toMatchObject({ ok: false, detail: expect.stringMatching(/InvalidSubnetID\.NotFound/) });
    } finally {
      w.writeConfig((d) => (d.environments.stg3.subnets = real));
    }
  });

  it('no capacity in the first subnet: the launch moves to the next one', async () => {
    const [full, free] = w.envs.stg4!.subnets as [string, string];
    const stop = w.proxy.before(async (r) =>
      r.action === 'RunInstances' && r.params.SubnetId === full && r.params.DryRun !== 'true'
        ? { status: 500, body: ec2ErrorXml('InsufficientInstanceCapacity', 'We currently do not have sufficient t3.2xlarge capacity in the Availability Zone you requested (eu-west-1a).') }
        : undefined,
    );
    try {
      const res = await w.stagebot(['launch', 'stg4', '--output', 'json']);
      expect(res.code, res.stderr).toBe(0);
      const doc = jsonOf(res);
      expect(doc.state).toBe('succeeded');
      const launches = w.proxy.log.filter((e) => e.request.action === 'RunInstances' && e.request.params.ClientToken?.startsWith(doc.runId));
      expect(launches.filter((e) => e.injected).map((e) => e.request.params.SubnetId)).toContain(full);
      expect(launches.filter((e) => e.status === 200).map((e) => e.request.params.SubnetId)).toEqual([free]);
      await expectNothingLeft(w, doc.runId);
    } finally {
      stop();
    }
  });

  it('no capacity in any subnet: the run fails with one line naming the subnets tried, nothing left', async () => {
    const stop = w.proxy.before(async (r) =>
      r.action === 'RunInstances' && r.region === w.envs.stg3!.region && r.params.DryRun !== 'true'
        ? { status: 500, body: ec2ErrorXml('InsufficientInstanceCapacity', 'We currently do not have sufficient t3.2xlarge capacity.') }
        : undefined,
    );
    try {
      const res = await w.stagebot(['launch', 'stg3', '--output', 'json']);
      expect(res.code).toBe(1);
      const doc = jsonOf(res);
      expect(doc.state).toBe('failed');
      expect(doc.error).toContain(`no t3.2xlarge capacity for stg3 in eu-west-1: tried ${w.envs.stg3!.subnets.join(', ')}`);
      await expectNothingLeft(w, doc.runId);
    } finally {
      stop();
    }
  });

  it('a cancel from another process during service-update stops the recipe and tears everything down', async () => {
    const { runId, launch, unblock } = await startBlockedLaunch(w, 'stg2', ['--output', 'json']);
    try {
      const cancel = await w.stagebot(['cancel', runId]);
      expect(cancel.code, cancel.stderr).toBe(0);
      const exit = await Promise.race([launch.exited, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('launch did not end')), 60_000))]);
      expect(exit.code).toBe(1);
      const doc = jsonOf({ code: exit.code, stdout: launch.stdout(), stderr: '', signal: null });
      expect(doc.state).toBe('cancelled');
      expect(stepStates(doc)).toMatchObject({ 'service-update': expect.stringMatching(/cancelled|failed/), teardown: 'succeeded' });
      expect(stepStates(doc).register ?? 'not run').not.toBe('succeeded');
      await expectNothingLeft(w, runId);
      // The recipe's command on the host was stopped with the run, not left looping.
      await waitFor('the recipe gone from the host', () => processesMatching(w.flags.blockedOnHost).length === 0, 10_000);
    } finally {
      launch.child.kill('SIGKILL');
      unblock();
    }
  });

  it('every asset of every run carried its tags at creation (moto recorded each create call)', async () => {
    const recorded = await w.moto.recording();
    expect(recorded.filter((r) => r.accessKey === STAGEBOT_KEY && r.action === 'RunInstances').length).toBeGreaterThan(5);
    expect(untaggedCreations(recorded)).toEqual([]);
  });

  it('every AWS call of these runs is allowed by the policy `stagebot iam-policy` prints for this configuration', async () => {
    const verdict = await expectAllowedByPolicy(w, w.proxy.log.filter((e) => !checkedElsewhere.has(e)));
    expect(verdict.calls).toBeGreaterThan(100);
  });
});
