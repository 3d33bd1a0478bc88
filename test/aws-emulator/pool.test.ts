// The warm pool against moto with the suite's real sshd: the server (`stagebot serve`, a child process)
// prepares a member of stg1 (ephemeral key pairs: its key sealed under STAGEBOT_HANDOVER_KEY) with the
// full recipe and parks it stopped; a CLI launch claims it (retag, StartInstances, the warm recipe) and
// its teardown removes it; every call was allowed by the generated IAM policy.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TAG } from '../../src/aws/tags.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { killServers, startServe, type ServeChild } from '../app/support.ts';
import { untaggedCreations } from './support/leftovers.ts';
import { expectAllowedByPolicy, expectNothingLeft, jsonOf, waitFor } from './support/runs.ts';
import { describeWithMoto } from './support/suite.ts';
import { EAST, buildWorld, type EmuWorld } from './support/world.ts';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';

const HANDOVER_KEY = 'emulator-suite-handover-key-0123456789';

let w: EmuWorld;
let server: ServeChild;
let store: Store;

describeWithMoto('the warm pool against moto', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    w = await buildWorld({
      edit: (d) => {
        const stg1 = d.environments.stg1;
        stg1.serviceUpdate = { full: stg1.serviceUpdate, warm: [{ name: 'warm update', run: 'echo "warm update to $STAGEBOT_REF"', timeout: '30s' }] };
        stg1.warmPool = { size: 1, mode: 'stopped', maxAge: '12h', baseRef: 'main' };
      },
    });
    await w.moto.startRecording();
    store = await openStore({ sqlitePath: join(w.dir, 'store', 'stagebot.db') });
    server = await startServe({ cwd: w.dir, env: w.env({ STAGEBOT_CONFIG: w.configPath, STAGEBOT_HANDOVER_KEY: HANDOVER_KEY, LOG_LEVEL: 'info' }), timeoutMs: 30_000 });
  }, 90_000);
  afterAll(async () => {
    killServers();
    await store?.close();
    await w?.close();
  });

  it('replenish -> claim -> teardown: the member is prepared and parked by the server, claimed warm by a CLI launch, and gone with it', async () => {
    const member = await waitFor('a ready member of stg1, its replenish finished', async () => {
      const ready = (await store.listPoolMembers('stg1', ['ready']))[0];
      const run = ready ? await store.getRun(ready.id) : null;
      return run?.state === 'succeeded' && run.leaseOwner === null ? ready : undefined;
    }, 120_000);
    const prepared = (await store.getSteps(member.id)).map((s) => `${s.name}:${s.state}`);
    expect(prepared).toEqual(['launch:succeeded', 'open-ssh:succeeded', 'wait-ssh:succeeded', 'service-update:succeeded', 'park:succeeded', 'teardown:succeeded']);
    const ec2 = w.ec2(EAST);
    const described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [member.instanceId!] }));
    const inst = described.Reservations![0]!.Instances![0]!;
    expect(inst.State?.Name).toBe('stopped');
    expect(Object.fromEntries((inst.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ [TAG.assetId]: member.id, [TAG.pool]: 'stg1' });

    const res = await w.stagebot(['launch', 'stg1', '--output', 'json'], { env: { STAGEBOT_HANDOVER_KEY: HANDOVER_KEY }, timeoutMs: 120_000 });
    expect(res.code, res.stderr).toBe(0);
    const doc = jsonOf(res);
    expect(doc.state).toBe('succeeded');
    const runId: string = doc.runId;
    const events = await store.getEvents(runId);
    expect(events.some((e) => e.type === 'step.warning' && String(e.data['message']).startsWith(`took warm member ${member.id} (${member.instanceId}`))).toBe(true);
    const update = events.find((e) => e.type === 'step.finished' && e.data['step'] === 'service-update');
    expect((update?.data['detail'] as { recipe?: string; items: { name: string }[] }).items.map((i) => i.name)).toEqual(['warm update']);
    const calls = await w.moto.recording();
    expect(calls.filter((c) => c.action === 'StartInstances')).toHaveLength(1);

    await expectNothingLeft(w, runId);
    await expectNothingLeft(w, member.id);
    expect(await store.poolMember(member.id)).toBeNull();
    // Tagged at creation, all of it; the one CreateTags of run tags after creation is the claim's
    // handover of the member (its instance, volume and interface: one call), as designed.
    expect(untaggedCreations(calls)).toEqual(['CreateTags after creation of asset-id, stagebot:requested-by, stagebot:source, Name']);
    expect(calls.filter((c) => c.action === 'DeleteTags')).toHaveLength(1);
  });

  it('every call of the pool (RunInstances, StopInstances, StartInstances, CreateTags/DeleteTags of the handover) is allowed by the generated IAM policy', async () => {
    expect((await expectAllowedByPolicy(w)).calls).toBeGreaterThan(30);
  });
});
